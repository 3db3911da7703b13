"""Writes for interviews: create (select questions), the server-side clock, answers, review.

Timing rules (the server is the clock):
- The interview's deadline is set when its first question is shown: start + total allowance.
- A question's deadline is set once, when it is first shown: shown + its allowance, never later
  than the interview's deadline (with only a total time, it is the interview's deadline).
- A question whose deadline has passed is closed as timed out the next time anyone looks, and the
  next one is shown. Its text stays writable: a change after the deadline is kept but marked late.
- A save that arrives within GRACE of the deadline is on time: it is the network, not the learner.

Follow-ups (the card's follow_up, asked like an interviewer digging into what the answer left out):
- When a question is closed by moving on or by its time running out (not skipped, not by the interview
  ending), and its answer is not blank, the term match that pre-ticks the review (selectors.
  follow_up_wanted) looks for the key points the card's follow-up probes. If any is missing, the
  follow-up becomes the next item: same card and position, its own key points and clock. An answer given
  only aloud, with no transcript to match, gets the follow-up.
- Its clock is FOLLOW_UP_SHARE of its question's allowance, at least a minute, started like any
  question's when it is first shown; the interview's allowance grows by as much, so a follow-up takes no
  time from the questions after it. With only a total time it runs on that one clock, like every item.
- A follow-up is reviewed like a question, under its question's mark (marks[card]["follow_up"]), and
  weighs half a question in the score (scoring.FOLLOW_UP_WEIGHT).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from questions.models import Topic
from quizapp.core.errors import Conflict, InvalidInput
from quizapp.interviews import loops, scoring, selectors
from quizapp.interviews.models import Interview, InterviewItem
from quizapp.study.custom import custom_session_for_cards
from quizapp.study.models import CustomSession
from quizapp.study.services import card_review

GRACE = timedelta(seconds=2)
FOLLOW_UP_SHARE = 0.5
REVIEW_NAMESPACE = uuid.UUID("5d0c7f3e-6a47-4c39-9a51-2f4b8e0c1d27")
MAX_QUESTIONS = 20
MAX_MINUTES_PER_QUESTION = 15
MAX_TOTAL_MINUTES = MAX_QUESTIONS * MAX_MINUTES_PER_QUESTION
WEAK_SPOTS_QUESTIONS = 5
PRESETS = {"quick": {"count": 3, "minutes_per_question": 3}, "standard": {"count": 8, "minutes_per_question": 5}}


@dataclass(frozen=True)
class Round:
    """A round of a real interview loop: one card from its own pool, on its own clock."""

    topic: str
    tag: str | None
    minutes: int


ROUNDS = {
    # One design case, rehearsed against the structure in its key points, in the time a loop gives it.
    Interview.Kind.SYSTEM_DESIGN: Round(topic="ml-systems", tag="design-case", minutes=15),
    # Writing an implementation and checking its shapes takes longer than explaining an idea.
    Interview.Kind.CODING: Round(topic="coding", tag=None, minutes=20),
}


class InterviewInputError(InvalidInput):
    """Bad input, as fields={field: [messages]}: shown on the form, or a 400 from the API."""


class InterviewConflict(Conflict):
    """The request is valid but the interview's state forbids it."""


def seconds_per_minute() -> int:
    # Real minutes everywhere; the end-to-end test shortens them so a time-out takes seconds.
    return settings.INTERVIEW_SECONDS_PER_MINUTE


def warning_seconds(item: InterviewItem) -> int:
    """How long before the deadline the page warns: one minute, or, for a question allowed a minute
    or less (where a one-minute warning would come at once), a quarter of its time."""
    minute = seconds_per_minute()
    allowance = (item.deadline - item.shown_at).total_seconds()
    return minute if allowance > minute else max(1, round(allowance / 4))


def _check_setup(*, topics: list[Topic], difficulty_min: int, difficulty_max: int, count: int,
                 minutes_per_question: int | None, total_minutes: int | None) -> None:
    errors: dict[str, list[str]] = {}
    if not topics:
        errors["topics"] = [_("Choose at least one topic.")]
    if not 1 <= difficulty_min <= difficulty_max <= 3:
        errors["difficulty_min"] = [_("The difficulty range must go from low to high, within 1–3.")]
    if not 1 <= count <= MAX_QUESTIONS:
        errors["count"] = [_("Choose between 1 and %(max)d questions.") % {"max": MAX_QUESTIONS}]
    if (minutes_per_question is None) == (total_minutes is None):
        errors["minutes_per_question"] = [_("Give either the minutes per question or a total time.")]
    elif minutes_per_question is not None and not 1 <= minutes_per_question <= MAX_MINUTES_PER_QUESTION:
        errors["minutes_per_question"] = [
            _("Choose between 1 and %(max)d minutes per question.") % {"max": MAX_MINUTES_PER_QUESTION}]
    elif total_minutes is not None and not 1 <= total_minutes <= MAX_TOTAL_MINUTES:
        errors["total_minutes"] = [_("Choose a total time between 1 and %(max)d minutes.") % {"max": MAX_TOTAL_MINUTES}]
    if errors:
        raise InterviewInputError(fields=errors)


@transaction.atomic
def interview_create(*, user, topics: list[Topic], difficulty_min: int = 1, difficulty_max: int = 3,
                     count: int, minutes_per_question: int | None = None, total_minutes: int | None = None,
                     language: str = Interview.Language.ZH, weak_spots: bool = False) -> Interview:
    """Pick the questions and record the interview; nothing is written when the input is bad."""
    topics = list(topics)
    _check_setup(topics=topics, difficulty_min=difficulty_min, difficulty_max=difficulty_max, count=count,
                 minutes_per_question=minutes_per_question, total_minutes=total_minutes)
    pool = selectors.interview_question_pool(topics=topics, difficulty_min=difficulty_min,
                                             difficulty_max=difficulty_max)
    available = pool.count()
    if count > available:
        raise InterviewInputError(fields={"count": [
            _("Only %(available)d questions match these topics and difficulties; choose at most %(available)d.")
            % {"available": available}]})
    questions = selectors.interview_questions_pick(user=user, pool=pool, count=count, weak_spots=weak_spots)
    return _record(user=user, questions=questions, topics=topics, difficulty_min=difficulty_min,
                   difficulty_max=difficulty_max, minutes_per_question=minutes_per_question,
                   total_minutes=total_minutes, language=language, weak_spots=weak_spots)


@transaction.atomic
def interview_create_on_questions(*, user, questions: list, language: str = Interview.Language.ZH) -> Interview:
    """A quick interview (PRESETS["quick"]'s minutes per question) on the given corpus questions, in
    their order, such as the cards studied today."""
    if not questions or any(question.owner_id is not None for question in questions):
        raise InterviewInputError(fields={"count": [_("There are no corpus cards to ask.")]})
    difficulties = [question.difficulty for question in questions]
    topics = list({question.topic_id: question.topic for question in questions}.values())
    return _record(user=user, questions=questions, topics=topics, difficulty_min=min(difficulties),
                   difficulty_max=max(difficulties), minutes_per_question=PRESETS["quick"]["minutes_per_question"],
                   total_minutes=None, language=language, weak_spots=False)


@transaction.atomic
def interview_round_create(*, user, kind: str, language: str = Interview.Language.ZH) -> Interview:
    """A system design or coding round: one card from the round's pool, one the learner has not had in
    an interview yet where there is one."""
    round_ = ROUNDS.get(kind)
    if round_ is None:
        raise InterviewInputError(fields={"kind": [_("Choose a system design or a coding round.")]})
    pool = selectors.round_question_pool(topic=round_.topic, tag=round_.tag)
    question = selectors.round_question_pick(user=user, pool=pool)
    if question is None:
        raise InterviewInputError(fields={"kind": [_("No question for this round is in the bank yet.")]})
    return _record(user=user, questions=[question], topics=[question.topic], difficulty_min=1, difficulty_max=3,
                   minutes_per_question=round_.minutes, total_minutes=None, language=language, weak_spots=False,
                   kind=kind)


@transaction.atomic
def interview_loop_create(*, user, loop: str, language: str = Interview.Language.ZH) -> Interview:
    """A loop's round: its topics in its proportions at its difficulty, each question on the clock its
    kind needs (loops.minutes_for), the whole interview the sum of them. loops.WEAK_SPOTS is the
    learner's own weak spots round."""
    if loop == loops.WEAK_SPOTS:
        return interview_weak_spots_create(user=user, language=language)
    chosen = loops.read_loops().get(loop)
    if chosen is None:
        raise InterviewInputError(fields={"loop": [_("Choose one of the loops.")]})
    questions = selectors.loop_questions_pick(user=user, loop=chosen)
    if len(questions) < chosen.count:
        raise InterviewInputError(fields={"loop": [
            _("The bank has too few questions for this loop: %(found)d of %(needed)d.")
            % {"found": len(questions), "needed": chosen.count}]})
    minute = seconds_per_minute()
    allowances = [loops.minutes_for(topic=question.topic.slug, tags=[tag.name for tag in question.tags.all()],
                                    difficulty=question.difficulty) * minute for question in questions]
    topics = list({question.topic_id: question.topic for question in questions}.values())
    return _record(user=user, questions=questions, topics=topics, difficulty_min=chosen.difficulty_min,
                   difficulty_max=chosen.difficulty_max, minutes_per_question=None,
                   total_minutes=sum(allowances) / minute, language=language, weak_spots=False, loop=loop,
                   allowances=allowances)


@transaction.atomic
def interview_weak_spots_create(*, user, language: str = Interview.Language.ZH) -> Interview:
    """A round on the learner's weak spots: their most-lapsed cards (then those they are closest to
    forgetting) across the corpus, filled up from the topics they are least ready in; each question on
    its kind's clock. InterviewInputError while nothing has been studied (no weak spot is known)."""
    questions = selectors.weak_spot_questions_pick(user=user, count=WEAK_SPOTS_QUESTIONS)
    if not questions:
        raise InterviewInputError(fields={"loop": [
            _("Study some cards first: weak spots come from your study history.")]})
    minute = seconds_per_minute()
    allowances = [loops.minutes_for(topic=question.topic.slug, tags=[tag.name for tag in question.tags.all()],
                                    difficulty=question.difficulty) * minute for question in questions]
    topics = list({question.topic_id: question.topic for question in questions}.values())
    difficulties = [question.difficulty for question in questions]
    return _record(user=user, questions=questions, topics=topics, difficulty_min=min(difficulties),
                   difficulty_max=max(difficulties), minutes_per_question=None,
                   total_minutes=sum(allowances) / minute, language=language, weak_spots=True,
                   loop=loops.WEAK_SPOTS, allowances=allowances)


def _record(*, user, questions, topics, difficulty_min, difficulty_max, minutes_per_question, total_minutes,
            language, weak_spots, kind: str = Interview.Kind.QUESTIONS, retake_of: Interview | None = None,
            loop: str = "", allowances: list[int] | None = None) -> Interview:
    minute = seconds_per_minute()
    per_question = minutes_per_question * minute if minutes_per_question else None
    interview = Interview.objects.create(
        user=user, language=language, difficulty_min=difficulty_min, difficulty_max=difficulty_max,
        weak_spots=weak_spots, kind=kind, seconds_per_question=per_question,
        total_seconds=per_question * len(questions) if per_question else round(total_minutes * minute),
        retake_of=retake_of, loop=loop)
    interview.topics.set(topics)
    allowances = allowances or [None] * len(questions)
    InterviewItem.objects.bulk_create(
        InterviewItem(interview=interview, question=question, position=position, seconds_allowed=allowed)
        for position, (question, allowed) in enumerate(zip(questions, allowances, strict=True), start=1))
    return interview


@transaction.atomic
def interview_retake(*, user, interview: Interview) -> Interview:
    """A new interview with the same questions in the same order and the same timing."""
    items = list(interview.items.select_related("question").filter(question__retired=False,
                                                                   follow_up_of__isnull=True))
    if not items:
        raise InterviewInputError(fields={"interview": [_("None of this interview's questions is still in the bank.")]})
    minute = seconds_per_minute()
    per_question = interview.seconds_per_question
    # A loop's questions keep their own clocks, and the whole interview their sum.
    allowances = [item.seconds_allowed for item in items] if interview.loop else None
    total_minutes = sum(allowances) / minute if allowances else max(1, round(interview.total_seconds / minute))
    return _record(
        user=user, questions=[item.question for item in items], topics=list(interview.topics.all()),
        difficulty_min=interview.difficulty_min, difficulty_max=interview.difficulty_max,
        minutes_per_question=max(1, round(per_question / minute)) if per_question else None,
        total_minutes=None if per_question else total_minutes, language=interview.language,
        weak_spots=interview.weak_spots, kind=interview.kind, retake_of=interview, loop=interview.loop,
        allowances=allowances)


def _locked(interview: Interview) -> Interview:
    return Interview.objects.select_for_update().get(pk=interview.pk)


def _end_answering(interview: Interview, now) -> None:
    for item in interview.items.filter(closed_at__isnull=True):
        item.closed_at = min(now, item.deadline) if item.deadline else now
        item.timed_out = item.shown_at is not None and now >= item.deadline
        item.save(update_fields=["closed_at", "timed_out"])
    interview.status = Interview.Status.REVIEWING
    interview.answering_ended_at = now
    interview.save(update_fields=["status", "answering_ended_at"])


def follow_up_seconds(*, item: InterviewItem, interview: Interview) -> int | None:
    """The follow-up's own allowance: a share of its question's, at least a minute; None when the
    interview has only a total time (every item runs on that clock)."""
    allowance = item.seconds_allowed or interview.seconds_per_question
    if not allowance:
        return None
    return max(seconds_per_minute(), round(allowance * FOLLOW_UP_SHARE))


def _ask_follow_up(item: InterviewItem, interview: Interview) -> InterviewItem | None:
    """After a question is closed: its card's follow-up, when the answer missed a point it probes."""
    if item.skipped or not selectors.follow_up_wanted(item=item):
        return None
    seconds = follow_up_seconds(item=item, interview=interview)
    follow_up = InterviewItem.objects.create(interview=interview, question=item.question, position=item.position,
                                             follow_up_of=item, seconds_allowed=seconds)
    if seconds:
        interview.total_seconds += seconds
        interview.deadline += timedelta(seconds=seconds)
        interview.save(update_fields=["total_seconds", "deadline"])
    return follow_up


def _show(item: InterviewItem, interview: Interview, now) -> InterviewItem:
    allowance = item.seconds_allowed or interview.seconds_per_question
    deadline = now + timedelta(seconds=allowance) if allowance else interview.deadline
    item.shown_at, item.deadline = now, min(deadline, interview.deadline)
    item.save(update_fields=["shown_at", "deadline"])
    return item


@transaction.atomic
def interview_advance(*, interview: Interview) -> InterviewItem | None:
    """Close what time has ended and return the current question, starting its clock the first time
    it is shown. None when answering is over (the interview has moved on to its review)."""
    interview = _locked(interview)
    if interview.status != Interview.Status.ANSWERING:
        return None
    now = timezone.now()
    if interview.started_at is None:
        interview.started_at, interview.deadline = now, now + timedelta(seconds=interview.total_seconds)
        interview.save(update_fields=["started_at", "deadline"])
    if now >= interview.deadline:
        _end_answering(interview, now)
        return None
    for item in interview.items.filter(closed_at__isnull=True):  # in order: a follow-up after its question
        if item.shown_at is None:
            return _show(item, interview, now)
        if now < item.deadline:
            return item
        item.closed_at, item.timed_out = item.deadline, True
        item.save(update_fields=["closed_at", "timed_out"])
        follow_up = _ask_follow_up(item, interview)
        if follow_up is not None:
            return _show(follow_up, interview, now)
    _end_answering(interview, now)
    return None


@transaction.atomic
def interview_answer_save(*, interview: Interview, question_id: str, answer: str, action: str = "save",
                          follow_up: bool = False) -> InterviewItem:
    """Autosave (`save`), or save and move on (`next`, `skip`), the answer to a question or (`follow_up`)
    to its follow-up; moving on from a question may bring its follow-up. A change after the deadline (and
    its grace) is kept but marked late. Raises InterviewInputError for a question (or follow-up) not in the
    interview or not shown yet, InterviewConflict once the learner has moved on from it or answering has
    ended (a save within GRACE of the end still lands)."""
    interview = _locked(interview)
    item = interview.items.filter(question__card_id=question_id, follow_up_of__isnull=not follow_up).first()
    if item is None and follow_up:
        raise InterviewInputError(fields={"follow_up": [_("This question has no follow-up in this interview.")]})
    if item is None:
        raise InterviewInputError(fields={"question": [_("This question is not part of this interview.")]})
    if item.shown_at is None:
        raise InterviewInputError(fields={"question": [_("This question has not been shown yet.")]})
    if interview.status == Interview.Status.DONE:
        raise InterviewConflict(_("This interview has been reviewed; its answers can no longer change."))
    now = timezone.now()
    # Once answering has ended the review shows the reference answers and key points: an answer
    # changed after that could copy them. Only a save sent just before the end is let through.
    if interview.status == Interview.Status.REVIEWING and now > interview.answering_ended_at + GRACE:
        raise InterviewConflict(_("Answering has ended and the reference answers are shown: "
                                  "the answers can no longer change."))
    if item.closed_at is not None and not item.timed_out:
        raise InterviewConflict(_("You have already moved on from this question."))
    if answer != item.answer:
        item.late = item.late or now > item.deadline + GRACE
        item.answer, item.answer_saved_at = answer, now
    moving_on = action in ("next", "skip") and item.closed_at is None
    if moving_on:
        # Moving on after the deadline (the page does it when its countdown ends) is a time-out.
        item.closed_at, item.skipped, item.timed_out = now, action == "skip", now >= item.deadline
    item.save()
    if moving_on:
        _ask_follow_up(item, interview)
    return item


@transaction.atomic
def interview_end(*, interview: Interview) -> Interview:
    """The learner stops early: the question still on the clock is closed, as skipped if its answer is
    blank (one with an answer was not skipped, the interview just ended); one whose deadline has
    already passed is a time-out, like the rest closed when answering ends."""
    interview = _locked(interview)
    if interview.status == Interview.Status.ANSWERING:
        now = timezone.now()
        on_the_clock = interview.items.filter(closed_at__isnull=True, shown_at__isnull=False, deadline__gt=now)
        on_the_clock.filter(answer="").update(closed_at=now, skipped=True)
        on_the_clock.update(closed_at=now)
        _end_answering(interview, now)
    return interview


@transaction.atomic
def interview_review_finish(*, interview: Interview, marks: dict[str, dict]) -> Interview:
    """Score each question from the credit the learner gave its key points, settle its verdict and feed
    the asked ones to study.

    `marks` maps a question's card ID to {"covered": [indexes covered fully], "partly": [indexes covered
    partly], "verdict": "derived" | "pass" | "fail", "follow_up": the same for its follow-up}; a key
    point in neither list is missed, a question left out covers nothing, and a verdict left out is the one
    its key points give. Raises InterviewInputError for a question not in the interview, a follow-up not
    asked, a key point it does not have or one marked twice, or an unknown verdict; InterviewConflict
    unless answering is over.
    """
    interview = _locked(interview)
    if interview.status == Interview.Status.ANSWERING:
        raise InterviewConflict(_("Finish answering before the review."))
    if interview.status == Interview.Status.DONE:
        raise InterviewConflict(_("This interview has already been reviewed."))
    items = list(selectors.interview_items(interview=interview))
    _check_marks(items, marks)
    now = timezone.now()
    for item in items:
        mark = _mark_of(item, marks)
        _review_item(item, fully=mark.get("covered", []), partly=mark.get("partly", []),
                     verdict_choice=mark.get("verdict", scoring.DERIVED), user=interview.user, reviewed_at=now)
    interview.score = scoring.interview_score(scores=[(item.score, item.is_follow_up) for item in items])
    interview.status, interview.reviewed_at = Interview.Status.DONE, now
    interview.save(update_fields=["score", "status", "reviewed_at"])
    return interview


def _mark_of(item: InterviewItem, marks: dict[str, dict]) -> dict:
    mark = marks.get(item.question.card_id, {})
    return (mark.get("follow_up") or {}) if item.is_follow_up else mark


def _review_item(item: InterviewItem, *, fully: list[int], partly: list[int], verdict_choice: str, user,
                 reviewed_at) -> None:
    """Score the item and, if it is a question that was asked, rate its card through the study scheduler
    (a follow-up's card is its question's, rated once). The review's client ID is derived from the item,
    so a retried request cannot rate the card twice."""
    levels = {**dict.fromkeys(partly, scoring.PARTLY), **dict.fromkeys(fully, scoring.FULLY)}
    item.point_credits = [scoring.CREDITS[levels.get(index, scoring.MISSED)]
                          for index in range(len(item.key_points))]
    item.covered_points = [index for index, credit in enumerate(item.point_credits) if credit > 0]
    item.score = scoring.item_score(credits=item.point_credits, answer=item.answer, late=item.late,
                                    spoken=item.spoken_answer is not None)
    verdict = scoring.verdict(score=item.score, choice=verdict_choice)
    item.would_pass, item.verdict_overridden = verdict.would_pass, verdict.overridden
    if item.shown_at is not None and not item.is_follow_up:
        item.study_rating = scoring.study_rating(score=item.score, would_pass=item.would_pass)
        log = card_review(user=user, question=item.question, rating=item.study_rating, reviewed_at=reviewed_at,
                          duration_ms=(item.seconds_used or 0) * 1000, source="interview",
                          client_id=uuid.uuid5(REVIEW_NAMESPACE, f"interview-item-{item.pk}"))
        item.study_due = log.card.due
    item.save(update_fields=["covered_points", "point_credits", "would_pass", "verdict_overridden", "score",
                             "study_rating", "study_due"])


def _check_marks(items: list[InterviewItem], marks: dict[str, dict]) -> None:
    by_key = {(item.question.card_id, item.is_follow_up): item for item in items}
    errors = []
    for card_id, mark in marks.items():
        item = by_key.get((card_id, False))
        if item is None:
            errors.append(_("“%(question)s” is not part of this interview.") % {"question": card_id})
            continue
        errors += _mark_errors(item, mark)
        if mark.get("follow_up") is None:
            continue
        follow_up = by_key.get((card_id, True))
        if follow_up is None:
            errors.append(_("“%(question)s” was asked no follow-up.") % {"question": card_id})
        else:
            errors += _mark_errors(follow_up, mark["follow_up"])
    if errors:
        raise InterviewInputError(fields={"items": errors})


def _mark_errors(item: InterviewItem, mark: dict) -> list[str]:
    """What is wrong with one item's mark, each message naming the item (a follow-up by its form key)."""
    name, points = item.form_key, len(item.key_points)
    errors = []
    fully, partly = mark.get("covered", []), mark.get("partly", [])
    if any(not isinstance(index, int) or not 0 <= index < points for index in [*fully, *partly]):
        errors.append(_("“%(question)s” has key points 0 to %(last)d only.") % {"question": name, "last": points - 1})
    elif set(fully) & set(partly):
        errors.append(_("“%(question)s”: a key point is covered either fully or partly, not both.")
                      % {"question": name})
    if mark.get("verdict", scoring.DERIVED) not in scoring.VERDICT_CHOICES:
        errors.append(_("“%(question)s”: the verdict is one of derived, pass or fail.") % {"question": name})
    return errors


def interview_study_missed(*, interview: Interview) -> CustomSession:
    """A custom study session (no rescheduling) of the reviewed interview's cards with a key point not
    fully covered, in interview order. InterviewConflict before the review; InterviewInputError when
    every point was covered or no such card is left to study."""
    if interview.status != Interview.Status.DONE:
        raise InterviewConflict(_("Review the interview first: the missed key points are known only then."))
    missed = [item.question_id for item in selectors.interview_items(interview=interview) if item.missed_points]
    if not missed:
        raise InterviewInputError(fields={"kind": [_("You covered every key point: nothing was missed.")]})
    return custom_session_for_cards(user=interview.user, question_ids=missed)
