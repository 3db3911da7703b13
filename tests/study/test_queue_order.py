"""A fresh learner's first new cards teach the most: the core of every chosen topic first (the
questions real interviews ask, proved by a demo, the easier first), one topic after another in turns,
rather than one topic's corners before another topic's basics."""

from questions.models import QuestionDemo
from quizapp.study.models import StudySettings
from quizapp.study.queue import study_queue
from quizapp.study.services import study_settings_update
from tests.factories import make_question, make_topic


def test_it_shows_the_core_of_every_topic_first_to_a_new_learner(alice):
    first, second = make_topic("first", position=1), make_topic("second", position=2)
    plain = make_question(card_id="a-plain", topic=first, position=1, difficulty=1)
    asked = make_question(card_id="a-asked", topic=first, position=2, difficulty=1, seed_refs=["S1-1"])
    proved = make_question(card_id="a-proved", topic=first, position=3, difficulty=2, seed_refs=["S1-3"])
    QuestionDemo.objects.create(question=proved, demo_id="D1", position=1)
    other_plain = make_question(card_id="b-plain", topic=second, position=1, difficulty=1)
    other_proved = make_question(card_id="b-proved", topic=second, position=2, difficulty=3, seed_refs=["S2-1"])
    QuestionDemo.objects.create(question=other_proved, demo_id="D5", position=1)
    assert StudySettings().new_card_order == StudySettings.NewCardOrder.CORE  # what a new account gets

    queue = study_queue(user=alice, limit=5)
    assert [card.question.card_id for card in queue.cards] == [
        proved.card_id, other_proved.card_id, asked.card_id, other_plain.card_id, plain.card_id]

    study_settings_update(user=alice, fields={"new_card_order": StudySettings.NewCardOrder.TOPIC})
    assert [card.question.card_id for card in study_queue(user=alice, limit=5).cards] == [
        "a-plain", "a-asked", "a-proved", "b-plain", "b-proved"]  # one topic after another, as before
