"""The home page: a learner sees what today holds and starts it; a visitor is offered an account
before studying or rehearsing."""

from quizapp.study.services import card_review
from tests.factories import make_questions, make_topic


def _english(client):
    client.post("/i18n/setlang/", {"language": "en"})
    return client


def test_it_says_what_today_holds_and_starts_it(alice_client, alice):
    questions = make_questions(3, topic=make_topic("basics"))
    card_review(user=alice, question=questions[0], rating=1)  # one card back in learning
    html = _english(alice_client).get("/").content.decode()
    assert "<b>0</b> to review · <b>1</b> learning · <b>2</b> new" in html
    assert 'href="/study/">Start studying' in html
    assert 'action="/study/first-day/"' not in html  # the first choice is for a learner who studied nothing


def test_it_says_when_the_day_is_done(alice_client, db):
    html = _english(alice_client).get("/").content.decode()
    assert "Nothing is due today: you are done." in html and "Start studying" not in html


def test_it_offers_a_visitor_an_account_before_studying(client, db):
    html = _english(client).get("/").content.decode()
    assert 'href="/accounts/signup/?next=/study/">Study</a>' in html
    assert 'href="/accounts/signup/?next=/interviews/">Interview</a>' in html
    assert "today-title" not in html
    signup = client.get("/accounts/signup/?next=/study/").content.decode()
    assert 'href="/accounts/login/?next=/study/">Log in</a>' in signup


def test_it_lets_a_visitor_try_five_cards_without_an_account(client, db):
    from questions.models import Question

    make_questions(7, topic=make_topic("basics"))
    html = _english(client).get("/").content.decode()
    assert 'href="/study/try/">Try five cards, no account needed' in html
    page = client.get("/study/try/")
    assert page.status_code == 200
    shown = page.content.decode()
    assert shown.count("data-try-card") == 5 and "With an account, each of the 7 cards" in shown
    first_five = Question.objects.order_by("position")[:5]
    assert all(question.question_en in shown for question in first_five)


def test_it_saves_a_new_learners_first_choice_and_starts_studying(alice_client, alice):
    from datetime import date, timedelta

    from questions.models import TopicGroup
    from quizapp.study.models import StudySettings

    deep = TopicGroup.objects.create(slug="deep", title_en="Deep learning", title_zh="深度学习", position=0)
    classical = TopicGroup.objects.create(slug="classical", title_en="Classical ML", title_zh="经典机器学习",
                                          position=1)
    make_questions(2, topic=make_topic("cnn", group=deep))
    make_questions(2, topic=make_topic("trees", group=classical))
    make_questions(2, topic=make_topic("svm", group=classical))
    html = _english(alice_client).get("/").content.decode()
    assert "What are you preparing for?" in html and "Classical ML" in html

    past = alice_client.post("/study/first-day/", {"groups": [classical.pk], "interview_date": "2001-01-01"})
    assert past.status_code == 400 and "The interview date has passed" in past.content.decode()
    assert not StudySettings.objects.filter(user=alice, interview_date__isnull=False).exists()

    day = date.today() + timedelta(days=30)
    response = alice_client.post("/study/first-day/", {"groups": [classical.pk], "interview_date": day.isoformat()})
    assert response.status_code == 302 and response["Location"] == "/study/"
    alice.refresh_from_db()
    assert sorted(alice.study_settings.topics.values_list("slug", flat=True)) == ["svm", "trees"]
    assert alice.study_settings.interview_date == day
    assert 'action="/study/first-day/"' not in alice_client.get("/").content.decode()  # asked once
