"""Writes to the corpus tables: loading the source files, exporting them back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction

from questions.corpus import CORPUS_DIR, Card, read_corpus, read_topics
from questions.models import Question, QuestionDemo, Tag, Topic, TopicGroup
from questions.rendering import render_markdown
from questions.search import index_fields


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
