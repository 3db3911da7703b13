"""Today's study queue: the counters of cards left and the next cards to show, in one SQL statement.

Studying asks for the queue after every rating, so this is the app's hottest read. Built with the
ORM it took six queries and most of a review request's time went into building them; here one
hand-written statement (the same text on PostgreSQL and SQLite) returns a row of counters and the
candidate cards of each list, and Python picks from those lists in study order.

The rules: learning steps due now come first, then due reviews, then new cards (the learner's own
first), then learning steps due within LEARN_AHEAD. Reviews and new cards stop at the learner's
daily limits, counted over the study day (their time zone and day-start hour). Suspended, buried
and retired cards, and topics the learner did not choose, stay out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.db import connection
from django.utils import timezone

from questions.languages import content_language
from questions.models import VISIBLE_TO_USER_SQL
from quizapp.core.rows import instance_from_row, value_from_db, value_to_db
from quizapp.study.days import StudyDay, study_day_for
from quizapp.study.models import CardState, ReviewLog, StudySettings
from quizapp.study.scheduling import CARD_FIELDS

State = CardState.State
LEARNING_STATES = (State.LEARNING, State.RELEARNING)
# Learning steps are minutes long; like Anki, show one that is due within this window rather than
# ending the session a few minutes early.
LEARN_AHEAD = timedelta(minutes=20)
# "Shuffled" new cards sort by a hash of the question id keyed by the learner: h = (id·a + b) mod p,
# then h² mod p (a linear map alone leaves consecutive ids in a visible pattern). A fixed order for
# each learner, different between learners, computed by the database in the same query; every
# product stays below 2⁶³ on both databases.
SHUFFLE_MODULUS = 2_147_483_647


@dataclass(frozen=True)
class QueueCounts:
    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class QueueCard:
    """A card to show: the learner's state (an unsaved CardState for a question never studied) and
    the question's side of it in the active language."""

    card: CardState
    card_id: str
    topic: str
    difficulty: int
    prompt: str
    answer_html: str
    demo_ids: list[str]
    own: bool = False  # the learner's own card, theirs to edit

    @property
    def question_id(self) -> int:
        return self.card.question_id

    @property
    def state(self) -> str:
        return self.card.state


@dataclass(frozen=True)
class StudyQueue:
    day: StudyDay
    counts: QueueCounts
    cards: list[QueueCard]
    next_learning_due: datetime | None  # when nothing is due now but a learning step is later today


# --- the statement ------------------------------------------------------------------------------------

_CHOSEN_TOPIC = "(NOT EXISTS (SELECT 1 FROM chosen) OR q.topic_id IN (SELECT topic_id FROM chosen))"

# Demo IDs in their order, as one comma-separated string: the aggregate is spelt differently. Read
# once for the rows the statement returns, not for every card a list sorts.
_DEMO_IDS = {
    "postgresql": "(SELECT string_agg(d.demo_id, ',' ORDER BY d.position, d.id) FROM questions_questiondemo d "
                  "WHERE d.question_id = listing.question_id)",
    "sqlite": "(SELECT group_concat(demo_id, ',') FROM (SELECT d.demo_id FROM questions_questiondemo d "
              "WHERE d.question_id = listing.question_id ORDER BY d.position, d.id))",
}

# What a listed card carries: the learner's row (CARD_FIELDS, then its question's id again, which
# joins), then the question's side in one language, then the keys new cards sort by.
_QUESTION_COLUMNS = ("question_id", "card_id", "question_difficulty", "prompt", "answer_html", "topic",
                     "topic_position", "question_position", "corpus_card", "demo_ids")


def _sources(language: str) -> str:
    """The CTEs the lists read: `card` (the learner's rows), `question` (the questions they may
    study: the corpus's and their own, not retired, in the chosen topics), and the two lists'
    sources over those, `active` (studied cards they may see today) and `fresh` (questions not
    started: no row, or a "new" row after a reset, not set aside). The topic join is a LEFT JOIN on
    its primary key, so PostgreSQL drops it, like the unused columns, where a counter reads a list.
    The state and suspended tests of `active` repeat the condition of the partial index
    study_card_queue_state_idx, so PostgreSQL can scan that index."""
    not_buried = "(buried_until IS NULL OR buried_until <= %(today)s)"
    return f"""
    card AS NOT MATERIALIZED (SELECT {", ".join(CARD_FIELDS)}, question_id AS card_question
        FROM study_cardstate WHERE user_id = %(user)s),
    question AS NOT MATERIALIZED (SELECT q.id AS question_id, q.card_id, q.difficulty AS question_difficulty,
            q.question_{language} AS prompt, q.answer_html_{language} AS answer_html, t.title_{language} AS topic,
            t.position AS topic_position, q.position AS question_position, q.owner_id IS NULL AS corpus_card
        FROM questions_question q LEFT JOIN questions_topic t ON t.id = q.topic_id
        WHERE NOT q.retired AND {VISIBLE_TO_USER_SQL} AND {_CHOSEN_TOPIC}),
    active AS NOT MATERIALIZED (SELECT card.*, question.* FROM card JOIN question ON question_id = card_question
        WHERE NOT suspended AND NOT (state = 'new') AND {not_buried}),
    fresh AS NOT MATERIALIZED (SELECT card.*, question.* FROM question LEFT JOIN card ON card_question = question_id
        WHERE id IS NULL OR (state = 'new' AND NOT suspended AND {not_buried}))"""


_LEARNING = f"state IN ({', '.join(repr(str(state)) for state in LEARNING_STATES)})"

# New cards in the learner's chosen order, their own cards first: they wrote them to study them.
_NEW_ORDER = {
    StudySettings.NewCardOrder.TOPIC: "corpus_card, topic_position, question_position, question_id",
    StudySettings.NewCardOrder.DIFFICULTY: "corpus_card, question_difficulty, topic_position, question_position, "
                                           "question_id",
    StudySettings.NewCardOrder.SHUFFLED: "corpus_card, {h} * {h} %% {p}, question_id".format(
        h=f"((CAST(question_id AS BIGINT) * %(shuffle_a)s + %(shuffle_b)s) %% {SHUFFLE_MODULUS})", p=SHUFFLE_MODULUS),
}
_COUNT_COLUMNS = ("learning", "review", "new", "later")


def _first(kind: str, source: str, condition: str, order: str, *, scans_all: bool = False) -> str:
    """One list's first cards; the counter columns stay empty on card rows. ROW_NUMBER keeps each
    list's order (a UNION does not promise one). A list read in index order stops at the limit; one
    sorted whole anyway (`scans_all`) sorts by that number instead of spelling its order twice."""
    counter_nulls = ",".join("NULL" for _ in _COUNT_COLUMNS)
    return f"""
    SELECT '{kind}',{counter_nulls}, listed.* FROM (
        SELECT ROW_NUMBER() OVER (ORDER BY {order}) AS position, *
        FROM {source} WHERE {condition} ORDER BY {"position" if scans_all else order} LIMIT %(limit)s) listed"""


@cache
def _statement(*, vendor: str, language: str, new_order: str) -> str:
    """The counters' row, then the first cards of each list: learning due now, due reviews, new, learning
    due soon. The lists are CTEs that the database inlines where they are read (NOT MATERIALIZED),
    so each read still scans an index. Cached: the text depends only on the arguments, and is made
    as short as it reads the same (psycopg caches its parse of statements up to 4 kB)."""
    # The first row names the columns of the union: the question id, for the demo IDs read last.
    card_nulls = ["NULL"] * (len(CARD_FIELDS) + 1 + len(_QUESTION_COLUMNS))  # the row number, then all but demos
    card_nulls[2 + len(CARD_FIELDS)] = "NULL AS question_id"
    # New cards come after learning steps due now and due reviews (up to today's review budget):
    # when those fill the page, or the day's new cards are done, the new list (a scan of the corpus)
    # is not read at all.
    needs_new = f"""((SELECT new_left FROM budget) > 0
        AND (SELECT COUNT(*) FROM (SELECT 1 FROM active WHERE {_LEARNING} AND due <= %(now)s LIMIT %(limit)s) l)
          + (SELECT COUNT(*) FROM (SELECT 1 FROM active WHERE state = 'review' AND due < %(day_end)s
                                   LIMIT (SELECT CASE WHEN review_left < %(limit)s THEN review_left
                                                      ELSE %(limit)s END FROM budget)) r)
          < %(limit)s)"""
    # `budget`: what the daily limits leave of today's reviews and new cards.
    statement = f"""
    WITH budget AS (
        SELECT CASE WHEN new < %(new_cap)s THEN %(new_cap)s - new ELSE 0 END AS new_left,
               CASE WHEN review < %(review_cap)s THEN %(review_cap)s - review ELSE 0 END AS review_left
        FROM (SELECT COUNT(*) FILTER (WHERE state_before = 'new') AS new,
                     COUNT(*) FILTER (WHERE state_before = 'review') AS review
              FROM study_reviewlog WHERE user_id = %(user)s AND source = '{ReviewLog.Source.STUDY}'
                AND reviewed_at >= %(day_start)s AND reviewed_at < %(day_end)s) today),
    chosen AS (SELECT topic_id FROM study_studysettings_topics WHERE studysettings_id = %(settings)s),
    {_sources(language)}
    SELECT listing.*, {_DEMO_IDS[vendor]} FROM (
    SELECT 'counts',
        (SELECT COUNT(*) FROM active WHERE {_LEARNING} AND due < %(day_end)s),
        (SELECT COUNT(*) FROM (SELECT 1 FROM active WHERE state = 'review' AND due < %(day_end)s
                                LIMIT (SELECT review_left FROM budget)) capped),
        (SELECT COUNT(*) FROM (SELECT 1 FROM fresh LIMIT (SELECT new_left FROM budget)) capped),
        (SELECT MIN(due) FROM active WHERE {_LEARNING} AND due > %(now)s),
        {",".join(card_nulls)}
    FROM budget
    UNION ALL {_first("learning", "active", f"{_LEARNING} AND due <= %(now)s", "due, id")}
    UNION ALL {_first("review", "active", "state = 'review' AND due < %(day_end)s", "due, id")}
    UNION ALL {_first("new", "fresh", needs_new, _NEW_ORDER[new_order], scans_all=True)}
    UNION ALL {_first("ahead", "active", f"{_LEARNING} AND due > %(now)s AND due <= %(ahead)s", "due, id")}
    ) listing"""
    return " ".join(statement.split())


# --- reading the rows ---------------------------------------------------------------------------------

def _queue_card(row: tuple, *, user_id: int, now: datetime) -> QueueCard:
    card_values = row[:len(CARD_FIELDS)]
    question_id, card_id, difficulty, prompt, answer_html, topic, _, _, corpus_card, demo_ids = (
        row[len(CARD_FIELDS) + 1:])
    if card_values[0] is None:  # a question never studied: no row yet
        card = CardState(user_id=user_id, question_id=question_id, state=State.NEW, due=now)
    else:
        card = instance_from_row(CardState, CARD_FIELDS, card_values, user_id=user_id, question_id=question_id)
    return QueueCard(card=card, card_id=card_id, topic=topic, difficulty=difficulty, prompt=prompt,
                     answer_html=answer_html, demo_ids=demo_ids.split(",") if demo_ids else [],
                     own=not corpus_card)


def shuffle_key(user_id: int) -> tuple[int, int]:
    """The learner's (a, b) of the shuffle hash."""
    draw = random.Random(user_id)
    return draw.randrange(2, SHUFFLE_MODULUS), draw.randrange(SHUFFLE_MODULUS)


@dataclass(frozen=True)
class QueueQuery:
    sql: str
    params: dict
    day: StudyDay


def queue_query(*, user_id: int, study_settings: StudySettings, now: datetime, limit: int) -> QueueQuery:
    """The statement study_queue runs, with its parameters (the benchmark explains it too)."""
    day = study_day_for(study_settings=study_settings, now=now)
    shuffle_a, shuffle_b = shuffle_key(user_id)
    params = {
        "user": user_id, "settings": study_settings.pk, "limit": limit,
        "now": value_to_db(CardState, "due", now), "ahead": value_to_db(CardState, "due", now + LEARN_AHEAD),
        "day_start": value_to_db(CardState, "due", day.starts_at),
        "day_end": value_to_db(CardState, "due", day.ends_at),
        "today": value_to_db(CardState, "buried_until", day.day),
        "review_cap": study_settings.reviews_per_day, "new_cap": study_settings.new_cards_per_day,
        "shuffle_a": shuffle_a, "shuffle_b": shuffle_b,
    }
    sql = _statement(vendor=connection.vendor, language=content_language(), new_order=study_settings.new_card_order)
    return QueueQuery(sql=sql, params=params, day=day)


def study_queue(*, user, now: datetime | None = None, limit: int = 1,
                study_settings: StudySettings | None = None) -> StudyQueue:
    """Today's first `limit` cards in study order, with the counters of new / learning / review
    cards left today. One query when the learner's settings are given."""
    from quizapp.study.services import study_settings_get

    now = now or timezone.now()
    study_settings = study_settings or study_settings_get(user=user)
    query = queue_query(user_id=user.pk, study_settings=study_settings, now=now, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, query.params)
        rows = cursor.fetchall()
    return _assemble(rows, day=query.day, limit=limit, user_id=user.pk, now=now)


def _assemble(rows, *, day: StudyDay, limit: int, user_id: int, now: datetime) -> StudyQueue:
    counters = dict(zip(_COUNT_COLUMNS, rows[0][1:1 + len(_COUNT_COLUMNS)], strict=True))
    lists: dict[str, list[QueueCard]] = {"learning": [], "review": [], "new": [], "ahead": []}
    for row in sorted(rows[1:], key=lambda row: (row[0], row[1 + len(_COUNT_COLUMNS)])):
        lists[row[0]].append(_queue_card(row[2 + len(_COUNT_COLUMNS):], user_id=user_id, now=now))

    # The statement counts reviews and new cards only up to what today's limits leave.
    counts = QueueCounts(new=counters["new"], learning=counters["learning"], review=counters["review"])
    cards = lists["learning"][:limit]
    cards += lists["review"][:min(limit - len(cards), counts.review)]
    cards += lists["new"][:min(limit - len(cards), counts.new)]
    if counts.learning:
        cards += lists["ahead"][:limit - len(cards)]
    later = value_from_db(CardState, "due", counters["later"]) if not cards and counts.learning else None
    return StudyQueue(day=day, counts=counts, cards=cards, next_learning_due=later)
