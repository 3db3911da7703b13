from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from quizapp.core.errors import AppError
from quizapp.study import browsing, optimizing, scheduling, selectors, services, stats
from quizapp.study.days import study_day_for
from quizapp.study.forms import CardBrowseFilter, StudySettingsForm


@login_required
def session(request):
    return render(request, "study/session.html")


@login_required
def statistics(request):
    return render(request, "study/stats.html", {"stats": stats.study_stats(user=request.user, now=timezone.now())})


@login_required
def settings_page(request):
    current = selectors.study_settings_get(user=request.user)
    if request.method != "POST":
        return render(request, "study/settings.html", {"form": StudySettingsForm(instance=current)})
    form = StudySettingsForm(request.POST, instance=current)
    if not form.is_valid():
        # The same answer the API gives for bad values: 400, with a message next to each field.
        return render(request, "study/settings.html", {"form": form}, status=400)
    fields = {name: value for name, value in form.cleaned_data.items() if name != "topics"}
    services.study_settings_update(user=request.user, fields=fields, topics=form.cleaned_data["topics"])
    messages.success(request, _("Settings saved."))
    return redirect("study:settings")


@login_required
def leeches(request):
    today = study_day_for(study_settings=selectors.study_settings_get(user=request.user), now=timezone.now()).day
    return render(request, "study/leeches.html", {
        "cards": selectors.leeches_for_user(user=request.user),
        "set_aside": selectors.set_aside_for_user(user=request.user, day=today)})


@login_required
@require_POST
def leech_action(request, pk: int, action: str):
    change, done = {"unsuspend": (services.card_unsuspend, _("Card unsuspended.")),
                    "unbury": (services.card_unbury, _("Card back in today's queue.")),
                    "reset": (services.card_reset, _("Card reset to new."))}.get(action, (None, None))
    if change is None:
        raise Http404
    change(user=request.user, card_id=pk)
    messages.success(request, done)
    return redirect("study:leeches")


@login_required
def optimize(request):
    if request.method == "POST":
        try:
            services.scheduler_optimization_request(user=request.user)
        except AppError as error:
            messages.error(request, str(error))
        return redirect("study:optimize")
    history = optimizing.history_for_user(user=request.user)
    latest = services.scheduler_optimization_latest(user=request.user)
    return render(request, "study/optimize.html", {
        "latest": latest,
        "parameter_rows": list(zip(latest.old_parameters, latest.new_parameters, strict=False)) if latest else [],
        "counted": optimizing.trainable_review_count(history),
        "needed": optimizing.REVIEWS_NEEDED,
    })


CARDS_PER_PAGE = 50
# the browser's sortable columns: the column's sort key → its first direction when clicked
SORTABLE_COLUMNS = {"due": "due", "stability": "-stability", "difficulty": "-difficulty",
                    "retrievability": "retrievability", "reps": "-reps", "lapses": "-lapses",
                    "last_review": "-last_review"}


def _browse_page(request, query: QueryDict, *, errors: tuple | list = (), status: int = 200):
    """The card browser for `query` (the page's query string): a bad filter lists every card, says
    what is wrong and answers 400."""
    filters = CardBrowseFilter(query or None)
    valid = not filters.is_bound or filters.is_valid()
    if filters.is_bound and not valid:
        status = 400
    card_filter = filters.card_filter() if filters.is_bound and valid else browsing.CardFilter()
    sort = filters.sort_key() if filters.is_bound and valid else browsing.DEFAULT_SORT
    study_settings = selectors.study_settings_get(user=request.user)
    now = timezone.now()
    today = study_day_for(study_settings=study_settings, now=now)
    scheduler = scheduling.scheduler_for(study_settings)
    cards = browsing.cards_matching(user=request.user, card_filter=card_filter, day=today.day)
    page = Paginator(browsing.cards_sorted(cards, sort=sort, scheduler=scheduler, now=now),
                     CARDS_PER_PAGE).get_page(query.get("page"))
    prefetch_related_objects(page.object_list, "logs")
    kept = {name: query[name] for name in ("q", "topic", "state", "sort") if query.get(name)} if valid else {}
    columns = {}
    for key, first in SORTABLE_COLUMNS.items():
        now_sorted = sort.lstrip("-") == key
        direction = ("-" + key if not sort.startswith("-") else key) if now_sorted else first
        columns[key] = {"url": "?" + urlencode({**kept, "sort": direction}),
                        "aria_sort": ("descending" if sort.startswith("-") else "ascending") if now_sorted else ""}
    filtered = any(kept.get(name) for name in ("q", "topic", "state"))
    return render(request, "study/browse.html", {
        "filters": filters if filters.is_bound else CardBrowseFilter(), "filtered": filtered,
        "page": page, "rows": [(card, selectors.retrievability_with(scheduler, card=card, now=now))
                               for card in page.object_list],
        "today": today.day, "zone": study_settings.timezone, "columns": columns,
        "query": urlencode(kept), "hidden_filter": kept, "errors": errors, "max_days": browsing.MAX_SHIFT_DAYS},
                  status=status)


@login_required
def browse(request):
    return _browse_page(request, request.GET)


def _done_message(outcome: browsing.BulkOutcome) -> str:
    words = {
        "suspend": ngettext("Suspended %(changed)d of the %(selected)d selected card.",
                            "Suspended %(changed)d of the %(selected)d selected cards.", outcome.selected),
        "unsuspend": ngettext("Unsuspended %(changed)d of the %(selected)d selected card.",
                              "Unsuspended %(changed)d of the %(selected)d selected cards.", outcome.selected),
        "bury": ngettext("Buried %(changed)d of the %(selected)d selected card until tomorrow.",
                         "Buried %(changed)d of the %(selected)d selected cards until tomorrow.", outcome.selected),
        "unbury": ngettext("Unburied %(changed)d of the %(selected)d selected card.",
                           "Unburied %(changed)d of the %(selected)d selected cards.", outcome.selected),
        "reset": ngettext("Reset %(changed)d of the %(selected)d selected card to new; its review history is kept.",
                          "Reset %(changed)d of the %(selected)d selected cards to new; their review history is kept.",
                          outcome.selected),
        "postpone": ngettext("Postponed %(changed)d of the %(selected)d selected card by %(days)d days "
                             "(only review cards due today move).",
                             "Postponed %(changed)d of the %(selected)d selected cards by %(days)d days "
                             "(only review cards due today move).", outcome.selected),
        "advance": ngettext("Advanced %(changed)d of the %(selected)d selected card by %(days)d days "
                            "(only review cards not yet due move).",
                            "Advanced %(changed)d of the %(selected)d selected cards by %(days)d days "
                            "(only review cards not yet due move).", outcome.selected),
    }[outcome.action] % {"changed": outcome.changed, "selected": outcome.selected, "days": outcome.days or 0}
    if outcome.retrievability_before is not None:
        words += " " + _("Mean recall chance at the due date: %(before)s → %(after)s.") % {
            "before": f"{outcome.retrievability_before:.0%}", "after": f"{outcome.retrievability_after:.0%}"}
    return words


@login_required
@require_POST
def browse_bulk(request):
    """A bulk action from the browser's form: on the ticked cards, or (scope "matching") on every card
    matching the filter the page showed, whose count the learner confirmed (`expected`)."""
    back = QueryDict(request.POST.get("back", ""))
    matching = request.POST.get("scope") == "matching"
    card_filter = None
    if matching:
        filters = CardBrowseFilter(request.POST)
        if not filters.is_valid():
            return _browse_page(request, back, errors=[str(error) for errors in filters.errors.values()
                                                      for error in errors], status=400)
        card_filter = filters.card_filter()
    try:
        outcome = browsing.cards_bulk_change(
            user=request.user, action=request.POST.get("action", ""), card_ids=request.POST.getlist("card"),
            card_filter=card_filter, expected=request.POST.get("expected") if matching else None,
            days=request.POST.get("days"), limit=request.POST.get("limit"))
    except AppError as error:
        return _browse_page(request, back, errors=error.messages(), status=error.status)
    messages.success(request, _done_message(outcome))
    return redirect(f"{reverse('study:browse')}?{back.urlencode()}" if back else reverse("study:browse"))
