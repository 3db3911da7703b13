"""Writes to the corpus tables: loading the source files, exporting them back; a learner's large Anki deck
built by a worker."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from questions.corpus import CORPUS_DIR, Card, read_corpus, read_topics
from questions.models import AnkiExport, Question, QuestionDemo, Tag, Topic, TopicGroup
from questions.rendering import render_markdown
from questions.search import index_fields
from questions.selectors import question_list
from quizapp.core.errors import NotYours
from quizapp.core.locks import lock_learner
from quizapp.core.queueing import publish
from quizapp.core.services import WORKER_FRESH_SECONDS, live_workers


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.retired)} retired")


def question_derived_fields(*, question_en: str, question_zh: str, answer_en: str, answer_zh: str,
                            tags: Iterable[str], aliases: Iterable[str] = (),
                            own_images: bool = False) -> dict[str, str]:
    """The answer HTML and the search fields, computed from the texts: the loader, the admin and own
    cards share it, so whatever writes a card writes its index in the same save. An own card's answer
    shows its learner's images (`own_images`)."""
    return {"answer_html_en": render_markdown(answer_en, own_images=own_images),
            "answer_html_zh": render_markdown(answer_zh, own_images=own_images),
            **index_fields(question_en=question_en, question_zh=question_zh, answer_en=answer_en,
                           answer_zh=answer_zh, tags=tags, aliases=aliases)}


def _card_fields(card: Card, topic: Topic, position: int) -> dict:
    return {
        "topic": topic,
        "difficulty": card.difficulty,
        "question_en": card.question["en"],
        "question_zh": card.question["zh"],
        "answer_en": card.answer["en"],
        "answer_zh": card.answer["zh"],
        "key_points": card.key_points,
        "follow_up": card.follow_up,
        "seed_refs": card.seed_refs,
        "references": card.references,
        "aliases": card.aliases,
        **question_derived_fields(question_en=card.question["en"], question_zh=card.question["zh"],
                                  answer_en=card.answer["en"], answer_zh=card.answer["zh"], tags=card.tags,
                                  aliases=card.aliases),
        "retired": False,
        "position": position,
    }


def _sync_topics(folder: Path) -> dict[str, Topic]:
    topics, groups = {}, {}
    for entry in read_topics(folder):
        if entry.group is not None and entry.group.slug not in groups:
            groups[entry.group.slug], _ = TopicGroup.objects.update_or_create(
                slug=entry.group.slug, defaults={"title_en": entry.group.title["en"],
                                                 "title_zh": entry.group.title["zh"], "position": entry.group.position})
        topic, _ = Topic.objects.update_or_create(
            slug=entry.slug,
            defaults={"title_en": entry.title["en"], "title_zh": entry.title["zh"], "position": entry.position,
                      "group": groups.get(entry.group.slug) if entry.group else None})
        topics[entry.slug] = topic
    TopicGroup.objects.exclude(slug__in=groups).delete()  # a group no longer listed has no topics left
    return topics


def _changed(question: Question, fields: dict) -> bool:
    return any(getattr(question, name) != value for name, value in fields.items())


def _sync_links(question: Question, card: Card) -> bool:
    """Make tags and demo links match the card; say whether anything changed."""
    current_tags = sorted(question.tags.values_list("name", flat=True))
    current_demos = list(question.demo_links.values_list("demo_id", flat=True))
    if current_tags == sorted(card.tags) and current_demos == card.demos:
        return False
    question.tags.set([Tag.objects.get_or_create(name=name)[0] for name in card.tags])
    question.demo_links.all().delete()
    QuestionDemo.objects.bulk_create(
        QuestionDemo(question=question, demo_id=demo_id, position=i) for i, demo_id in enumerate(card.demos))
    return True


@transaction.atomic
def corpus_load(*, folder: Path = CORPUS_DIR) -> LoadReport:
    """Validate every file, then create/update cards by stable ID and retire the missing ones.

    Raises `questions.corpus.CorpusError` (and writes nothing) when any file is bad.
    """
    cards = read_corpus(folder)
    topics = _sync_topics(folder)
    existing = {q.card_id: q for q in Question.objects.corpus()}  # learners' own cards stay as they are
    report = LoadReport()
    for position, card in enumerate(cards):
        fields = _card_fields(card, topics[card.topic], position)
        question = existing.get(card.id)
        if question is None:
            question = Question.objects.create(card_id=card.id, **fields)
            _sync_links(question, card)
            report.created.append(card.id)
            continue
        fields_changed = _changed(question, fields)
        if fields_changed:
            for name, value in fields.items():
                setattr(question, name, value)
            question.save()
        links_changed = _sync_links(question, card)
        (report.updated if fields_changed or links_changed else report.unchanged).append(card.id)
    loaded = {card.id for card in cards}
    for card_id, question in existing.items():
        if card_id not in loaded and not question.retired:
            question.retired = True
            question.save(update_fields=["retired", "updated_at"])
            report.retired.append(card_id)
    return report


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so exported answers stay readable and diff well."""


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _represent_str)


def _question_as_card(question: Question) -> dict:
    return {
        "id": question.card_id,
        "seed_refs": list(question.seed_refs),
        "difficulty": question.difficulty,
        "tags": sorted(question.tags.values_list("name", flat=True)),
        **({"aliases": list(question.aliases)} if question.aliases else {}),
        "demos": question.demo_ids,
        "references": list(question.references),
        "question": {"en": question.question_en, "zh": question.question_zh},
        "answer": {"en": question.answer_en + "\n", "zh": question.answer_zh + "\n"},
        "key_points": _points_as_written(question.key_points),
        **({"follow_up": follow_up_as_written(question.follow_up)} if question.follow_up else {}),
    }


def _points_as_written(points: list[dict]) -> list[dict]:
    return [{"en": p["en"], "zh": p["zh"], "terms": list(p["terms"])} for p in points]


def follow_up_as_written(follow_up: dict) -> dict:
    """A stored follow-up in the corpus file's shape: probes numbered from 1, as a person counts them."""
    return {"probes": [index + 1 for index in follow_up["probes"]],
            "question": {"en": follow_up["question"]["en"], "zh": follow_up["question"]["zh"]},
            "key_points": _points_as_written(follow_up["key_points"])}


def corpus_export(*, folder: Path = CORPUS_DIR) -> list[Path]:
    """Write every active corpus card back to `<topic>.yaml`, so edits made in the admin are not lost."""
    written = []
    for topic in Topic.objects.all():
        questions = topic.questions.corpus().active().prefetch_related("tags", "demo_links").order_by("position")
        if not questions:
            continue
        document = {"topic": topic.slug, "cards": [_question_as_card(q) for q in questions]}
        path = folder / f"{topic.slug}.yaml"
        path.write_text(yaml.dump(document, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False,
                                  width=100), encoding="utf-8")
        written.append(path)
    return written


# A learner's large Anki deck, built by a worker (questions.tasks.build_anki_export). Failure reasons are
# stored untranslated; the page shows them in the learner's language.
ANKI_EXPORT_QUEUE = "exports"  # CELERY_TASK_ROUTES sends the builds there
ANKI_EXPORT_LOST = gettext_noop("The deck was not built: its worker stopped or never picked it up. "
                                "Please ask for it again.")
ANKI_EXPORT_NO_WORKER = gettext_noop("No worker builds decks (the exports queue), so this one cannot be built. "
                                     "Start one (make run starts one) and ask again.")
ANKI_EXPORT_TIMED_OUT = gettext_noop("Building the deck took too long.")
ANKI_EXPORT_CRASHED = gettext_noop("The worker crashed while building the deck. Please ask for it again.")
ANKI_EXPORT_BROKEN = gettext_noop("The deck could not be built. Please ask for it again.")
# Time for the worker to record a build that ends right at its hard time limit.
ANKI_EXPORT_STALE_MARGIN = timedelta(minutes=1)
# The share of the progress bar before the notes are made (the questions and the schedule read) and after
# (the package written and stored), so the bar moves at about the pace the build does.
ANKI_EXPORT_NOTES_FROM, ANKI_EXPORT_NOTES_TO = 0.3, 0.85


def anki_export_file_name(export: AnkiExport) -> str:
    """Where its deck lives in the storage: known before it is written, so a failure can always remove it."""
    return f"anki-exports/{export.owner_id}/{export.pk}.apkg"


def anki_export_request(*, owner, filters: dict, language: str, with_schedule: bool, cards: int) -> AnkiExport:
    """Record the export and queue its build in one transaction: with the broker down this raises
    QueueUnavailable and records nothing. Asking for the same deck while it is being built answers with
    that build, so a reload of the page starts no second one."""
    from questions.tasks import build_anki_export

    Status = AnkiExport.Status
    with transaction.atomic():
        lock_learner(owner)  # two requests at once: the second waits, then finds the first's build
        anki_exports_expire_stale(owner=owner)
        for export in AnkiExport.objects.filter(owner=owner, status__in=[Status.QUEUED, Status.RUNNING]):
            if (export.filters, export.language, export.with_schedule) == (filters, language, with_schedule):
                return export
        export = AnkiExport.objects.create(owner=owner, filters=filters, language=language,
                                           with_schedule=with_schedule, cards=cards)
        publish(build_anki_export, args=[str(export.pk)])
    return export


def anki_export_claim(*, export_id: str, worker: str = "") -> bool:
    """Move a queued export to building; succeeds once. A redelivery that finds it building comes after its
    worker process was lost mid-build (an OOM kill, say): it fails the export rather than try again."""
    Status = AnkiExport.Status
    if AnkiExport.objects.filter(pk=export_id, status=Status.QUEUED).update(
            status=Status.RUNNING, started_at=timezone.now(), worker=worker[:200]):
        return True
    if AnkiExport.objects.filter(pk=export_id, status=Status.RUNNING).exists():
        anki_export_fail(export_id=export_id, error=ANKI_EXPORT_CRASHED)
    return False


def anki_export_progress(*, export_id: str, fraction: float) -> None:
    AnkiExport.objects.filter(pk=export_id, status=AnkiExport.Status.RUNNING).update(progress=fraction)


def anki_export_build(*, export_id: str, worker: str = "") -> None:
    """Build the learner's deck with progress, store it, and mark it ready. Whatever goes wrong, the
    storage keeps no file of it (a half-written one included): the error goes on to the task."""
    from questions.apkg_export import anki_deck_write
    from quizapp.study.selectors import anki_schedule

    if not anki_export_claim(export_id=export_id, worker=worker):
        return
    export = AnkiExport.objects.select_related("owner").get(pk=export_id)
    name = anki_export_file_name(export)
    span = ANKI_EXPORT_NOTES_TO - ANKI_EXPORT_NOTES_FROM
    try:
        questions = list(question_list(viewer=export.owner, **export.filters))
        schedule = (anki_schedule(user=export.owner, question_ids=[question.pk for question in questions],
                                  now=timezone.now()) if export.with_schedule else None)
        anki_export_progress(export_id=export_id, fraction=ANKI_EXPORT_NOTES_FROM)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / export.filename
            anki_deck_write(questions=questions, language=export.language, path=path, schedule=schedule,
                            progress=lambda notes: anki_export_progress(
                                export_id=export_id, fraction=ANKI_EXPORT_NOTES_FROM + span * notes))
            anki_export_progress(export_id=export_id, fraction=ANKI_EXPORT_NOTES_TO)
            default_storage.delete(name)  # a half-written file of an earlier try: the name must be free
            with path.open("rb") as deck:
                stored = default_storage.save(name, File(deck))
        if not anki_export_finish(export_id=export_id, status=AnkiExport.Status.SUCCEEDED, file=stored, progress=1.0):
            default_storage.delete(stored)  # failed by the reaper meanwhile: nobody will fetch it
    except BaseException:
        default_storage.delete(name)
        raise


def anki_export_finish(*, export_id: str, status: str, **fields) -> bool:
    """End a building export; False when it no longer builds (the reaper failed it meanwhile)."""
    building = AnkiExport.objects.filter(pk=export_id, status=AnkiExport.Status.RUNNING)
    return bool(building.update(status=status, finished_at=timezone.now(), **fields))


def anki_export_fail(*, export_id: str, error: str) -> None:
    """Fail a queued or building export and remove any file of it."""
    export = AnkiExport.objects.filter(pk=export_id).first()
    if export is None:
        return
    default_storage.delete(anki_export_file_name(export))
    AnkiExport.objects.filter(pk=export_id, status__in=[AnkiExport.Status.QUEUED, AnkiExport.Status.RUNNING]).update(
        status=AnkiExport.Status.FAILED, error=error, file="", finished_at=timezone.now())


def anki_exports_expire_stale(*, owner=None) -> int:
    """Fail the builds that can no longer finish (the owner's, or everybody's for the reaper), and delete the
    files of decks kept past ANKI_EXPORT_KEEP_HOURS. Returns how many builds it failed."""
    Status = AnkiExport.Status
    now = timezone.now()
    exports = AnkiExport.objects.all() if owner is None else AnkiExport.objects.filter(owner=owner)
    under_way = exports.filter(status__in=[Status.QUEUED, Status.RUNNING])
    cutoff = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - ANKI_EXPORT_STALE_MARGIN
    workers = live_workers()
    lost = (Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff)
            | (Q(status=Status.RUNNING, started_at__lt=now - timedelta(seconds=WORKER_FRESH_SECONDS))
               & ~Q(worker__in=[worker.hostname for worker in workers]) & ~Q(worker="")))
    failed = _anki_exports_fail(under_way.filter(lost), error=ANKI_EXPORT_LOST)
    if not any(ANKI_EXPORT_QUEUE in worker.queues for worker in workers):
        grace = now - timedelta(seconds=settings.DEMO_NO_WORKER_GRACE_SECONDS)
        failed += _anki_exports_fail(under_way.filter(status=Status.QUEUED, created_at__lt=grace),
                                     error=ANKI_EXPORT_NO_WORKER)
    kept_since = now - timedelta(hours=settings.ANKI_EXPORT_KEEP_HOURS)
    for export in exports.filter(status=Status.SUCCEEDED, finished_at__lt=kept_since).exclude(file=""):
        default_storage.delete(export.file.name)
        AnkiExport.objects.filter(pk=export.pk).update(file="")
    return failed


def _anki_exports_fail(exports, *, error: str) -> int:
    ids = list(exports.values_list("pk", flat=True))
    for export_id in ids:
        anki_export_fail(export_id=export_id, error=error)
    return len(ids)


def anki_export_get(*, owner, export_id) -> AnkiExport:
    """One of the learner's exports (NotYours, a 404, for anyone else's), its state brought up to date
    first: a lost build failed, an old file gone. A read that may write, hence a service."""
    if not owner.is_authenticated or not AnkiExport.objects.filter(pk=export_id, owner=owner).exists():
        raise NotYours
    anki_exports_expire_stale(owner=owner)
    return AnkiExport.objects.get(pk=export_id)


def anki_exports_forget(*, owner) -> None:
    """Delete the learner's built decks' files once the surrounding transaction (their account's deletion, whose
    cascade removes the rows) commits: without their rows the reaper would never find them."""
    names = list(AnkiExport.objects.filter(owner=owner).exclude(file="").values_list("file", flat=True))
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
