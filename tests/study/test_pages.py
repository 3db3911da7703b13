"""The study pages: session shell, statistics, settings form (400 on bad values), leeches."""

from __future__ import annotations

import json
import re

import pytest

from quizapp.own_cards.services import OwnCardText, own_card_create
from quizapp.study import selectors, services
from quizapp.study.models import CardState, StudySettings
from tests.factories import make_topic

pytestmark = pytest.mark.usefixtures("no_fuzz")


@pytest.mark.parametrize("path", ["/study/", "/study/stats/", "/study/settings/", "/study/leeches/",
                                  "/study/optimize/"])
def test_it_asks_visitors_to_log_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_serves_the_session_page_with_its_keys_and_translated_words(alice_client):
    response = alice_client.get("/study/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "js/study.js" in page and "css/study.css" in page and "<kbd>Space</kbd>" in page
    strings = json.loads(page.split('id="study-strings" type="application/json">')[1].split("</script>")[0])
    assert {"minutes", "days", "undone", "became_leech"} <= set(strings)


def test_it_draws_statistics_from_the_learners_reviews(alice_client, alice, make_question):
    services.card_review(user=alice, question=make_question(), rating=3, duration_ms=30_000)
    page = alice_client.get("/study/stats/").content.decode()
    assert 'data-stat="reviews-today">1<' in page
    assert 'id="study-stats"' in page and "chart.umd.min.js" in page and "js/study-stats.js" in page


def test_it_saves_valid_settings(alice_client, alice, make_question):
    topic = make_question(topic="cnn").topic
    response = alice_client.post("/study/settings/", {
        "desired_retention": "0.85", "new_cards_per_day": "10", "reviews_per_day": "100",
        "timezone": "Europe/London", "day_start_hour": "5", "new_card_order": "shuffled", "topics": [topic.pk]})
    assert response.status_code == 302
    saved = StudySettings.objects.get(user=alice)
    assert (saved.desired_retention, saved.new_cards_per_day, saved.timezone, saved.new_card_order) == (
        0.85, 10, "Europe/London", "shuffled")
    assert list(saved.topics.all()) == [topic]


@pytest.mark.parametrize(("language", "title"), [("en", "Convolutional networks"), ("zh-hans", "卷积神经网络")])
def test_it_titles_the_topic_choices_in_the_learners_language(alice_client, language, title):
    topic = make_topic("cnn", title_en="Convolutional networks", title_zh="卷积神经网络", position=1)
    page = alice_client.get("/study/settings/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert re.search(rf'<input[^>]+value="{topic.pk}"[^>]*> {title}</label>', page)


@pytest.mark.parametrize(("field", "value"), [("desired_retention", "0.98"), ("desired_retention", "0.6"),
                                              ("day_start_hour", "24"), ("timezone", "Nowhere/City"),
                                              ("reviews_per_day", "-5"), ("topics", "999999"),
                                              ("topics", str(2**63)), ("topics", "9" * 5000)])
def test_it_refuses_out_of_range_settings_with_a_message(alice_client, alice, field, value):
    data = {"desired_retention": "0.9", "new_cards_per_day": "20", "reviews_per_day": "200",
            "timezone": "Asia/Shanghai", "day_start_hour": "4", "new_card_order": "topic", field: value}
    response = alice_client.post("/study/settings/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'class="errorlist' in response.content.decode()
    assert selectors.study_settings_get(user=alice).desired_retention == 0.9


def test_it_lists_leeches_and_unsuspends_or_resets_them(alice_client, alice, make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=4)
    CardState.objects.filter(user=alice).update(lapses=8, is_leech=True, suspended=True)
    card = CardState.objects.get(user=alice)
    page = alice_client.get("/study/leeches/").content.decode()
    assert question.question in page and f"/study/leeches/{card.pk}/unsuspend/" in page
    assert alice_client.post(f"/study/leeches/{card.pk}/unsuspend/").status_code == 302
    assert not CardState.objects.get(pk=card.pk).suspended
    alice_client.post(f"/study/leeches/{card.pk}/reset/")
    assert CardState.objects.get(pk=card.pk).state == "new"
    assert alice_client.post(f"/study/leeches/{card.pk}/delete/").status_code == 404


def test_it_starts_an_own_card_in_the_pages_language_from_a_leech_of_the_question_bank(alice_client, alice, bob,
                                                                                 make_question):
    question = make_question()
    services.card_review(user=alice, question=question, rating=4)
    CardState.objects.filter(user=alice).update(lapses=8, is_leech=True, suspended=True)
    page = alice_client.get("/study/leeches/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    link = f"/questions/mine/new/?copy={question.card_id}"
    assert link in page
    form = alice_client.get(link, HTTP_ACCEPT_LANGUAGE="zh-hans").context["form"]
    assert (form["question"].value(), form["answer"].value(), form["topic"].value(), form["difficulty"].value()) == (
        question.question_zh, question.answer_zh, question.topic.slug, question.difficulty)
    bobs = own_card_create(owner=bob, text=OwnCardText(question="Bob's?", answer="Mine.", topic=question.topic,
                                                       difficulty=1))
    form = alice_client.get(f"/questions/mine/new/?copy={bobs.card_id}").context["form"]
    assert form["question"].value() is None  # nobody else's card to copy from


def test_it_lists_suspended_and_buried_cards_to_bring_back(alice_client, alice, make_question):
    suspended, buried, studied, leech = make_question(), make_question(), make_question(), make_question()
    services.card_set_suspended(user=alice, question=suspended, suspended=True)
    services.card_bury(user=alice, question=buried)
    services.card_review(user=alice, question=studied, rating=3)
    services.card_bury(user=alice, question=leech)
    CardState.objects.filter(user=alice, question=leech).update(is_leech=True, suspended=True, lapses=8)
    page = alice_client.get("/study/leeches/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    set_aside = page[page.index("Set aside"):]
    assert suspended.question in set_aside and buried.question in set_aside and studied.question not in set_aside
    assert leech.question not in set_aside and leech.question in page  # listed once, with the leeches
    card = CardState.objects.get(user=alice, question=buried)
    assert f"/study/leeches/{card.pk}/unbury/" in set_aside
    assert alice_client.post(f"/study/leeches/{card.pk}/unbury/").status_code == 302
    assert CardState.objects.get(pk=card.pk).buried_until is None
    assert buried.question not in alice_client.get("/study/leeches/").content.decode()


def test_it_unburies_a_card_over_the_api_back_into_todays_queue(alice_api, bob_api, alice, make_question):
    question = make_question()
    card_id = alice_api.post("/api/study/bury/", {"question": question.pk}, format="json").json()["id"]
    assert alice_api.get("/api/study/queue/").json()["counts"]["new"] == 0
    assert bob_api.post(f"/api/study/cards/{card_id}/unbury/").status_code == 404
    assert alice_api.post(f"/api/study/cards/{card_id}/unbury/").json()["buried_until"] is None
    assert alice_api.get("/api/study/queue/").json()["counts"]["new"] == 1


def test_it_puts_common_zones_first_in_the_time_zone_list_and_leaves_out_aliases(alice_client, alice):
    form = alice_client.get("/study/settings/").context["form"]
    groups = dict(form.fields["timezone"].choices)
    common = [name for name, _ in next(iter(groups.values()))]
    assert common[0] == "Asia/Shanghai" and "UTC" in common
    names = {name for options in groups.values() for name, _ in options}
    assert {"Europe/Paris", "America/Sao_Paulo", "Pacific/Auckland"} <= names
    assert not names & {"Factory", "localtime", "US/Pacific", "Etc/GMT+8", "posixrules"}
    # Chosen before the list changed.
    StudySettings.objects.update_or_create(user=alice, defaults={"timezone": "US/Pacific"})
    kept = alice_client.get("/study/settings/").context["form"].fields["timezone"].choices
    assert "US/Pacific" in {name for _, options in kept for name, _ in options}
