"""Reading and validating the corpus source files (questions/corpus/*.yaml). No database here.

`read_corpus(folder)` returns every card or raises `CorpusError` listing each problem as
`file:line: field: message`, so a bad file is reported precisely and nothing half-loads.
Run `python -m questions.corpus [files...]` to check files by hand.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext_noop

from questions.typography import CJK, describe, halfwidth_punctuation, missing_spaces

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
LANGUAGES = ("en", "zh")
KNOWN_DEMOS = {f"D{n}" for n in range(1, 27)}
SEED_REF = re.compile(r"^(S\d+-\d+|P-\d+)$")
CARD_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# A learner's own card gets an ID of this prefix and random hex (quizapp.own_cards.services), so a corpus file
# can never take one's ID.
OWN_CARD_PREFIX = "own-"
TAG = re.compile(r"^[a-z0-9][a-z0-9+.#-]*$")
KEY_POINTS = range(3, 8)
# A follow-up digs into one or a few of the card's key points: a short question graded on fewer points.
FOLLOW_UP_POINTS = range(2, 5)
FOLLOW_UP_PROBES = range(1, 4)
FOLLOW_UP_FIELDS = {"probes", "question", "key_points"}
# Interview grading matches a key point's terms as substrings of the answer, so a one-character Chinese
# term matches far too much (凸 inside 非凸, 门 inside 部门): a term must identify its point (凸函数, 门控).
ONE_CJK_CHARACTER = re.compile(rf"^[{CJK}]$")
CARD_FIELDS = {"id", "seed_refs", "difficulty", "tags", "aliases", "demos", "references", "question", "answer",
               "key_points", "follow_up"}
# Other names of a card's subject (BN, BatchNorm, 批归一化): search finds the card through them.
MAX_ALIASES = 12
MAX_ALIAS_LENGTH = 60


class CorpusError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Card:
    id: str
    topic: str
    difficulty: int
    question: dict[str, str]
    answer: dict[str, str]
    key_points: list[dict[str, Any]]
    seed_refs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    demos: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    # {} or {"probes": [0-based key point indexes], "question": {en, zh}, "key_points": [...]}: what an
    # interviewer asks next when the answer missed a probed point (the file numbers probes from 1).
    follow_up: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # "file:line", for messages


@dataclass(frozen=True)
class TopicGroup:
    slug: str
    title: dict[str, str]
    position: int


@dataclass
class Topic:
    slug: str
    title: dict[str, str]
    position: int
    group: TopicGroup | None = None


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line number under the key `__line__` (1-based), the line where each of
    its texts starts under `__text_lines__`, and each list's item lines in `item_lines`, so a problem
    is reported at its own line."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        # A block text (`|`) starts on the line after its key.
        mapping["__text_lines__"] = {key.value: value.start_mark.line + 1 + (value.style in ("|", ">"))
                                     for key, value in node.value if isinstance(value, yaml.ScalarNode)}
        return mapping


class _LineList(list):
    item_lines: list[int]


def _construct_line_list(loader: _LineLoader, node: yaml.SequenceNode):
    items = _LineList()
    items.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield items
    items.extend(loader.construct_sequence(node))


_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_line_list)


def unbalanced_math(text: str) -> str | None:
    """Name the first unbalanced math delimiter, or None. `\\$` is a literal dollar."""
    stripped = re.sub(r"```.*?```|`[^`\n]*`", "", text.replace("\\$", ""), flags=re.S)
    if stripped.count("$$") % 2:
        return gettext_noop("unbalanced $$ display-math delimiters")  # translated where a learner reads it
    if stripped.replace("$$", "").count("$") % 2:
        return gettext_noop("unbalanced $ inline-math delimiters")
    return None


def read_topics(folder: Path = CORPUS_DIR) -> list[Topic]:
    """The topics in `topics.yaml`, in order, each in the group whose heading (`group:`) comes last
    before it; raises CorpusError when the file is missing or bad."""
    path = folder / "topics.yaml"
    if not path.is_file():
        raise CorpusError([f"{path}: missing (every corpus folder lists its topics there)"])
    checker = _FileChecker(path, set())
    entries = checker.load()
    if not checker.problems and (not isinstance(entries, list) or not entries):
        checker.problem(1, "topics", "must be a non-empty list of mappings with slug, en and zh")
    topics, groups, group, group_line = [], [], None, 0
    for entry, line in zip(entries or [], getattr(entries, "item_lines", []), strict=False):
        if not isinstance(entry, dict):
            checker.problem(line, "topics", "each topic must be a mapping with slug, en and zh")
            continue
        kind = "group" if "group" in entry else "slug"
        for name in (kind, "en", "zh"):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                checker.problem(line, name, "required, non-empty text")
        if kind == "group":
            if group is not None and not any(topic.group == group for topic in topics):
                checker.problem(group_line, "group", f"{group.slug!r} has no topics")
            if isinstance(entry.get("group"), str) and entry["group"] in {g.slug for g in groups}:
                checker.problem(line, "group", f"{entry['group']!r} is listed twice")
            group = TopicGroup(slug=entry.get("group"), title={"en": entry.get("en"), "zh": entry.get("zh")},
                               position=len(groups))
            group_line = line
            groups.append(group)
            continue
        if isinstance(entry.get("slug"), str) and entry["slug"] in {t.slug for t in topics}:
            checker.problem(line, "slug", f"{entry['slug']!r} is listed twice")
        topics.append(Topic(slug=entry.get("slug"), title={"en": entry.get("en"), "zh": entry.get("zh")},
                            position=len(topics), group=group))
    if group is not None and not any(topic.group == group for topic in topics):
        checker.problem(group_line, "group", f"{group.slug!r} has no topics")
    if checker.problems:
        raise CorpusError(checker.problems)
    return topics


class _FileChecker:
    def __init__(self, path: Path, topics: set[str]):
        self.path = path
        self.topics = topics
        self.problems: list[str] = []

    def problem(self, line: int, field_name: str, message: str) -> None:
        self.problems.append(f"{self.path.name}:{line}: {field_name}: {message}")

    def load(self) -> Any:
        """The parsed file, or None after reporting why it cannot be read."""
        try:
            return yaml.load(self.path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            self.problem(mark.line + 1 if mark else 1, "yaml", str(getattr(error, "problem", error)))
        except UnicodeDecodeError:
            self.problem(1, "encoding", "file is not UTF-8")
        return None

    def check(self) -> list[Card]:
        document = self.load()
        if self.problems:
            return []
        if not isinstance(document, dict):
            self.problem(1, "file", "expected a mapping with 'topic' and 'cards'")
            return []
        topic = document.get("topic")
        if topic != self.path.stem:
            self.problem(document["__line__"], "topic", f"must equal the file name '{self.path.stem}'")
        if not isinstance(topic, str) or topic not in self.topics:
            self.problem(document["__line__"], "topic", f"unknown topic {topic!r} (see topics.yaml)")
        cards = document.get("cards")
        if not isinstance(cards, list) or not cards:
            self.problem(document["__line__"], "cards", "must be a non-empty list")
            return []
        return [card for raw, line in zip(cards, cards.item_lines, strict=True)
                if (card := self.check_card(raw, topic, line)) is not None]

    def check_card(self, raw: Any, topic: str, line: int) -> Card | None:
        if not isinstance(raw, dict):
            self.problem(line, "cards", "each card must be a mapping")
            return None
        before = len(self.problems)
        for name in sorted(map(str, raw.keys() - CARD_FIELDS - {"__line__", "__text_lines__"})):
            self.problem(line, name, "unknown field")
        card_id = raw.get("id")
        if not isinstance(card_id, str) or not CARD_ID.match(card_id):
            self.problem(line, "id", "required: a lower-case slug like 'softmax-vs-sigmoid'")
        elif card_id.startswith(OWN_CARD_PREFIX):
            self.problem(line, "id", f"ids starting with {OWN_CARD_PREFIX!r} are kept for learners' own cards")
        difficulty = raw.get("difficulty")
        if type(difficulty) is not int or difficulty not in (1, 2, 3):
            self.problem(line, "difficulty", "must be 1, 2 or 3")
        texts = {name: self.bilingual(raw, name, line) for name in ("question", "answer")}
        key_points = self.key_points(raw, line)
        follow_up = self.follow_up(raw, line, len(key_points))
        seed_refs = self.string_list(raw, "seed_refs", line, SEED_REF, "like S1-3 or P-2")
        tags = self.string_list(raw, "tags", line, TAG, "lower-case, hyphenated")
        aliases = self.aliases(raw, line)
        demos = self.string_list(raw, "demos", line, None, "")
        for demo in demos:
            if demo not in KNOWN_DEMOS:
                self.problem(line, "demos", f"unknown demo {demo!r} (D1..D26)")
        references = self.string_list(raw, "references", line, None, "")
        if len(self.problems) > before:
            return None
        return Card(id=card_id, topic=topic, difficulty=difficulty, question=texts["question"],
                    answer=texts["answer"], key_points=key_points, seed_refs=seed_refs, tags=tags,
                    aliases=aliases, demos=demos, references=references, follow_up=follow_up,
                    source=f"{self.path.name}:{line}")

    def bilingual(self, mapping: dict, name: str, line: int, *, within: str = "") -> dict[str, str]:
        """`mapping[name]`'s en and zh texts; `within` prefixes the field in messages (follow_up.)."""
        value = mapping.get(name)
        name = within + name
        if not isinstance(value, dict):
            self.problem(line, name, "required, with 'en' and 'zh'")
            return {}
        line = value.get("__line__", line)
        texts = {}
        for language in LANGUAGES:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                self.problem(line, f"{name}.{language}", "required, non-empty text")
                continue
            if issue := unbalanced_math(text):
                self.problem(line, f"{name}.{language}", issue)
            if language == "zh":
                self.chinese_typography(text, value.get("__text_lines__", {}).get("zh", line), f"{name}.zh")
            texts[language] = text.strip()
        return texts

    def chinese_typography(self, text: str, first_line: int, field_name: str) -> None:
        """Half-width punctuation and missing spaces in Chinese text, each at its own line."""
        for offset, pair in halfwidth_punctuation(text):
            self.problem(first_line + offset, field_name, describe(pair))
        for offset, pair in missing_spaces(text):
            self.problem(first_line + offset, field_name,
                         f"no space between Chinese and Latin text: {pair!r} (write one space)")

    def key_points(self, raw: dict, line: int) -> list[dict[str, Any]]:
        return self.point_list(raw.get("key_points"), line, "key_points", KEY_POINTS)

    def follow_up(self, raw: dict, line: int, card_points: int) -> dict[str, Any]:
        """The optional follow-up, its probes turned 0-based; {} when absent or wrong (reported)."""
        value = raw.get("follow_up")
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(line, "follow_up", "must be a mapping with probes, question and key_points")
            return {}
        line = value.get("__line__", line)
        for name in sorted(map(str, value.keys() - FOLLOW_UP_FIELDS - {"__line__", "__text_lines__"})):
            self.problem(line, f"follow_up.{name}", "unknown field")
        probes = self.probes(value.get("probes"), line, card_points)
        question = self.bilingual(value, "question", line, within="follow_up.")
        points = self.point_list(value.get("key_points"), line, "follow_up.key_points", FOLLOW_UP_POINTS)
        if not (probes and len(question) == len(LANGUAGES) and points):
            return {}
        return {"probes": [number - 1 for number in probes], "question": question, "key_points": points}

    def probes(self, value: Any, line: int, card_points: int) -> list[int]:
        """1-based numbers of the card's key points whose miss prompts the follow-up."""
        shape = (f"must list {FOLLOW_UP_PROBES.start} to {FOLLOW_UP_PROBES.stop - 1} distinct key point numbers "
                 f"(1 to {card_points})")
        if (not isinstance(value, list) or len(value) not in FOLLOW_UP_PROBES
                or not all(type(number) is int and 1 <= number <= card_points for number in value)
                or len(set(value)) != len(value)):
            self.problem(line, "follow_up.probes", shape)
            return []
        return list(value)

    def point_list(self, points: Any, line: int, name: str, counts: range) -> list[dict[str, Any]]:
        """Key points (the card's or its follow-up's): each with en, zh and terms that identify it."""
        if not isinstance(points, list) or len(points) not in counts:
            self.problem(line, name, f"must list {counts.start} to {counts.stop - 1} points")
            return []
        cleaned = []
        for index, point in enumerate(points, start=1):
            if not isinstance(point, dict):
                self.problem(line, f"{name}[{index}]", "must be a mapping with en, zh and terms")
                continue
            texts = {}
            for language in LANGUAGES:
                text = point.get(language)
                if not isinstance(text, str) or not text.strip():
                    self.problem(point.get("__line__", line), f"{name}[{index}].{language}",
                                 "required, non-empty")
                elif issue := unbalanced_math(text):
                    self.problem(point.get("__line__", line), f"{name}[{index}].{language}", issue)
                else:
                    texts[language] = text.strip()
                    if language == "zh":
                        self.chinese_typography(text, point.get("__text_lines__", {}).get("zh", line),
                                                f"{name}[{index}].zh")
            terms = point.get("terms")
            if not isinstance(terms, list) or not terms or not all(isinstance(t, str) and t.strip()
                                                                   for t in terms):
                self.problem(point.get("__line__", line), f"{name}[{index}].terms",
                             "must list at least one term")
                terms = []
            term_lines = getattr(terms, "item_lines", None) or [point.get("__line__", line)] * len(terms)
            for term, term_line in zip(terms, term_lines, strict=False):
                if ONE_CJK_CHARACTER.match(str(term).strip()):
                    self.problem(term_line, f"{name}[{index}].terms",
                                 f"one-character Chinese term {str(term).strip()!r} matches too much "
                                 "(凸 is inside 非凸): use a word that identifies the point, e.g. 凸函数")
            cleaned.append({**texts, "terms": [str(t).strip() for t in terms]})
        return cleaned

    def aliases(self, raw: dict, line: int) -> list[str]:
        """At most MAX_ALIASES names, each 1 to MAX_ALIAS_LENGTH characters on one line, none twice."""
        value = raw.get("aliases", [])
        item_lines = getattr(value, "item_lines", None) or [line] * len(value or [])
        aliases = self.string_list(raw, "aliases", line, None, "")
        if len(aliases) > MAX_ALIASES:
            self.problem(line, "aliases", f"at most {MAX_ALIASES}, not {len(aliases)}")
        for alias, alias_line in zip(aliases, item_lines, strict=False):
            if not alias.strip() or len(alias) > MAX_ALIAS_LENGTH or "\n" in alias or alias != alias.strip():
                self.problem(alias_line, "aliases",
                             f"{alias!r} must be 1 to {MAX_ALIAS_LENGTH} characters, on one line, no outer spaces")
        return aliases

    def string_list(self, raw: dict, name: str, line: int, pattern: re.Pattern | None,
                    shape: str) -> list[str]:
        value = raw.get(name, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(line, name, "must be a list of strings")
            return []
        for item in value:
            if pattern and not pattern.match(item):
                self.problem(line, name, f"{item!r} is not {shape}")
        if repeated := sorted({item for item in value if value.count(item) > 1}):
            self.problem(line, name, f"duplicates: {', '.join(map(repr, repeated))}")
        return list(value)


def card_problems(raw: dict[str, Any]) -> list[str]:
    """`field: message` for each problem of one card given as a mapping (the admin form checks edits)."""
    checker = _FileChecker(Path("card"), set())
    checker.check_card(raw, "", 1)
    return [problem.split(": ", 1)[1] for problem in checker.problems]


def read_corpus(folder: Path = CORPUS_DIR, files: list[Path] | None = None) -> list[Card]:
    """Every card of every topic file, checked; raises CorpusError listing all problems."""
    topics = {topic.slug for topic in read_topics(folder)}
    paths = files if files is not None else sorted(p for p in folder.glob("*.yaml") if p.name != "topics.yaml")
    # A .yml file would otherwise be skipped without a word, and its cards retired.
    problems = [] if files is not None else [f"{path.name}:1: file: use the .yaml extension"
                                             for path in sorted(folder.glob("*.yml"))]
    if not paths and not problems:
        raise CorpusError([f"{folder}: no card files (<topic>.yaml) found; loading would retire every card"])
    cards: list[Card] = []
    for path in paths:
        checker = _FileChecker(path, topics)
        cards.extend(checker.check())
        problems.extend(checker.problems)
    first_seen: dict[str, str] = {}
    for card in cards:
        if card.id in first_seen:
            problems.append(f"{card.source}: id: {card.id!r} already used at {first_seen[card.id]}")
        first_seen.setdefault(card.id, card.source)
    if problems:
        raise CorpusError(problems)
    return cards


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or None
    try:
        cards = read_corpus(CORPUS_DIR, files)
    except CorpusError as error:
        print(error, file=sys.stderr)
        print(f"{len(error.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(cards)} cards")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
