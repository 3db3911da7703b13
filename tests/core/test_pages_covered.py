"""Every named page of the site is visited by the accessibility and phone tests (tests/e2e/pages.py), or
is listed there as no page (a download, a POST that redirects) with the reason: a new page fails here
until it is added to one or the other."""

from django.urls import URLPattern, URLResolver, get_resolver

from tests.e2e.pages import NOT_PAGES, PAGES

# The API, the admin and the API's documentation are not the learner's pages.
OUTSIDE = ("api/", "admin/")


def _named_patterns(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(OUTSIDE):
            continue
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _named_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ":".join(filter(None, [namespace, pattern.name]))


def test_it_checks_every_page_a_learner_can_reach():
    named = set(_named_patterns(get_resolver().url_patterns))
    covered = {page.name for page in PAGES if page.name}
    assert "study:session" in named and "interviews:results" in named  # the walk reaches namespaced pages
    assert named - covered - set(NOT_PAGES) == set()


def test_it_lists_no_page_that_is_gone_or_both_visited_and_left_out():
    named = set(_named_patterns(get_resolver().url_patterns))
    covered = {page.name for page in PAGES if page.name}
    assert (covered | set(NOT_PAGES)) - named == set()
    assert covered & set(NOT_PAGES) == set()
