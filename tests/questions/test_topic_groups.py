"""Topics in their groups, wherever topics are listed or picked: the topic list, the study settings'
and the interview set-up's pickers, the question list's and own cards' selects, and the API."""

import re

import pytest

from questions.models import Topic
from questions.services import corpus_load
from tests.questions.corpus_files import card, write_corpus

SHELVES = [{"group": "deep-learning", "en": "Deep learning", "zh": "深度学习"},
           {"slug": "activations", "en": "Activation functions", "zh": "激活函数"},
           {"slug": "cnn", "en": "Convolutional networks", "zh": "卷积神经网络"},
           {"group": "classical", "en": "Classical ML and statistics", "zh": "经典机器学习与统计"},
           {"slug": "classical-ml", "en": "Classical machine learning", "zh": "经典机器学习"}]


@pytest.fixture
def shelved_corpus(tmp_path, db):
    folder = write_corpus(tmp_path / "corpus", {"activations": [card("a1"), card("a2")], "cnn": [card("c1")],
                                                "classical-ml": [card("k1")]}, topics=SHELVES)
    corpus_load(folder=folder)


def _in_language(client, language):
    client.post("/i18n/setlang/", {"language": language})
    return client


def _fieldset_of(html: str, legend: str) -> str:
    """The inner HTML of the group fieldset with this legend."""
    match = re.search(rf'<fieldset class="topic-group">\s*<legend>{legend}</legend>(.*?)</fieldset>', html, re.S)
    assert match, f"no group {legend!r}"
    return match.group(1)


@pytest.mark.parametrize(("language", "deep", "classical"), [
    ("en", "Deep learning", "Classical ML and statistics"), ("zh", "深度学习", "经典机器学习与统计")])
def test_it_shows_the_topic_list_under_group_headings(client, shelved_corpus, language, deep, classical):
    html = _in_language(client, language).get("/questions/").content.decode()
    assert html.index(f"<h2>{deep}</h2>") < html.index('id="shelf-classical"') < html.index(f"<h2>{classical}</h2>")
    deep_shelf = html[html.index(f"<h2>{deep}</h2>"):html.index(f"<h2>{classical}</h2>")]
    assert "?topic=activations" in deep_shelf and "?topic=cnn" in deep_shelf and "classical-ml" not in deep_shelf
    assert 'href="#shelf-deep-learning"' in html  # the row of links to each group


@pytest.mark.parametrize(("page", "language", "legend"), [
    ("/study/settings/", "en", "Deep learning"), ("/study/settings/", "zh", "深度学习"),
    ("/interviews/", "en", "Deep learning"), ("/interviews/", "zh", "深度学习")])
def test_it_groups_the_topic_pickers_with_buttons_per_group(alice_client, shelved_corpus, page, language, legend):
    html = _in_language(alice_client, language).get(page).content.decode()
    deep = _fieldset_of(html, legend)
    ids = {topic.slug: topic.pk for topic in Topic.objects.all()}
    assert f'value="{ids["activations"]}"' in deep and f'value="{ids["cnn"]}"' in deep
    assert f'value="{ids["classical-ml"]}"' not in deep
    assert deep.count("data-check-topics") == 2  # all / none for this group (a group of one has none)
    assert "js/topic-picker.js" in html


def test_it_saves_topics_picked_across_groups(alice_client, alice, shelved_corpus):
    ids = {topic.slug: topic.pk for topic in Topic.objects.all()}
    response = alice_client.post("/study/settings/", {
        "desired_retention": "0.9", "new_cards_per_day": "20", "reviews_per_day": "200", "timezone": "Asia/Shanghai",
        "day_start_hour": "4", "new_card_order": "topic", "topics": [ids["cnn"], ids["classical-ml"]]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(alice.study_settings.topics.values_list("slug", flat=True)) == ["classical-ml", "cnn"]


def test_it_puts_the_selects_options_under_optgroups(alice_client, shelved_corpus):
    html = _in_language(alice_client, "en").get("/questions/all/").content.decode()
    assert re.search(r'<optgroup label="Deep learning">\s*<option value="activations"', html)
    own = alice_client.get("/questions/mine/new/").content.decode()
    group = re.search(r'<optgroup label="Classical ML and statistics">(.*?)</optgroup>', own, re.S)
    assert group and 'value="classical-ml"' in group.group(1) and 'value="cnn"' not in group.group(1)


def test_it_names_each_topics_group_in_the_api(api_client, shelved_corpus):
    topics = {topic["slug"]: topic for topic in api_client.get("/api/topics/").json()}
    assert topics["cnn"]["group"] == {"slug": "deep-learning", "title_en": "Deep learning", "title_zh": "深度学习"}
    assert topics["classical-ml"]["group"]["slug"] == "classical"
