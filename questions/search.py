"""The search index: our own tokens, stored with each card and matched by the database's index.

A card's text (both languages, its aliases and tags) is normalised (NFKC, so full-width ＲｅＬＵ reads
as relu; case-folded) and cut into tokens: Latin words as they are (a hyphenated word also as its
parts), Chinese runs as overlapping character bigrams. `search_tokens` holds them all, space-separated;
`search_head` those of the question and its other names, which weigh more.

The database finds the cards holding any of a query's terms through its index over those tokens:
on PostgreSQL a GIN index over the stored, generated column
`search_vector = array_to_tsvector(string_to_array(search_tokens, ' '))` (our tokens as lexemes: no
parser, no stemming to disagree with ours), on SQLite the FTS5 table `question_search`
(external content, kept in step by triggers). Both match a term against the start of a token, as the
ranking counts it, so both databases find the same cards and rank them alike.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

from django.db import connection, migrations
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[a-z0-9][a-z0-9_+#.'-]*")
_WORD_END = ".'-_"
_PARTS = re.compile(r"[-_.']")


def normalise(text: str) -> str:
    """Full-width letters and digits as ASCII ones, case folded: how stored text and queries are compared."""
    return unicodedata.normalize("NFKC", text).casefold()


def clean_word(word: str) -> str:
    """A word less its trailing punctuation ("relu." is relu)."""
    return word.rstrip(_WORD_END)


def bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> list[str]:
    """The index's tokens of a text, in order, repeated as often as they occur."""
    text = normalise(text)
    found = []
    for match in re.finditer(rf"{CJK_RUN.pattern}|{WORD.pattern}", text):
        piece = match.group()
        if CJK_RUN.match(piece):
            found.extend(bigrams(piece))
            continue
        word = clean_word(piece)
        if not word:
            continue
        found.append(word)
        parts = [part for part in _PARTS.split(word) if part]
        if len(parts) > 1:
            found.extend(parts)
    return found


_NAME_SEPARATORS = re.compile(r"[\s\-_.·'’?？!！,，:：()（）]+")


def name_key(text: str) -> str:
    """A name as one writes it, whatever its spacing, hyphens, case or width: "Batch-Norm", "batchnorm"
    and "ＢａｔｃｈＮｏｒｍ" all read as "batchnorm"."""
    return _NAME_SEPARATORS.sub("", normalise(text))


def _initials(text: str) -> str:
    """The initials of a Latin name of several words ("grouped-query attention" → "gqa"); "" otherwise."""
    words = WORD.findall(normalise(text).replace("-", " "))
    return "".join(word[0] for word in words) if len(words) > 1 and not CJK_RUN.search(text) else ""


def same_name(one: str, other: str) -> bool:
    """Whether two names name the same thing, as search (a query that is one of a card's aliases) and
    interview grading (a key point's term written as one of the card's aliases) both read names: the same
    letters once spacing, hyphens, case and width are set aside, or one the initials of the other
    ("GQA" and "grouped-query attention", "OOB" and "out-of-bag"). Initials are compared only with a
    whole name, never with other initials: "batch norm" and "Bayesian network" are not one thing."""
    one_key, other_key = name_key(one), name_key(other)
    if not one_key or not other_key:
        return False
    return one_key == other_key or _initials(one) == other_key or _initials(other) == one_key


def index_fields(*, question_en: str, question_zh: str, answer_en: str, answer_zh: str,
                 tags: Iterable[str], aliases: Iterable[str]) -> dict[str, str]:
    """The stored search fields of a card."""
    tags, aliases = sorted(tags), list(aliases or [])
    head = tokens("\n".join([question_en, question_zh, *aliases, *tags]))
    body = tokens("\n".join([answer_en, answer_zh]))
    search_text = normalise("\n".join([question_en, question_zh, answer_en, answer_zh, *aliases, " ".join(tags)]))
    return {"search_text": search_text, "search_head": " ".join(head), "search_tokens": " ".join(head + body)}


def uses(term: str, padded_tokens: str) -> int:
    """How many of the tokens start with the term; `padded_tokens` is " " + the space-separated tokens."""
    return padded_tokens.count(" " + term)


def matching(questions: QuerySet, terms: list[str]) -> QuerySet:
    """The questions holding a token that starts with any of the terms, through the database's index."""
    table = questions.model._meta.db_table
    if connection.vendor == "postgresql":
        query = " | ".join("'{}':*".format(term.replace("'", "''")) for term in terms)
        condition = RawSQL(f"{table}.search_vector @@ %s::tsquery", [query], output_field=BooleanField())
    else:
        query = " OR ".join('"{}"*'.format(term.replace('"', '""')) for term in terms)
        condition = RawSQL(f"{table}.id IN (SELECT rowid FROM question_search WHERE question_search MATCH %s)",
                           [query], output_field=BooleanField())
    return questions.filter(condition)


def highlight(text: str, terms: Iterable[str]) -> str:
    """The text HTML-escaped, with <mark> around each word starting with a Latin term and each Chinese
    term; matched as the index compares (full-width letters, any case)."""
    folded = [normalise(char) for char in text]  # per character, so positions map back
    flat, owner = "", []
    for index, piece in enumerate(folded):
        flat += piece
        owner.extend([index] * len(piece))
    marked = [False] * len(text)
    for term in terms:
        if not term:
            continue
        chinese = CJK_RUN.match(term)
        pattern = re.escape(term) if chinese else rf"(?<![a-z0-9]){re.escape(term)}[a-z0-9]*"
        for match in re.finditer(pattern, flat):
            for position in range(match.start(), match.end()):
                marked[owner[position]] = True
    out, open_mark = [], False
    for char, is_marked in zip(text, marked, strict=True):
        if is_marked != open_mark:
            out.append("<mark>" if is_marked else "</mark>")
            open_mark = is_marked
        out.append(html.escape(char))
    if open_mark:
        out.append("</mark>")
    return "".join(out)


# The FTS5 table over questions_question.search_tokens, and the triggers that keep it in step: they run
# in the statement's own transaction, whatever writes the row (the loader, bulk_create, a cascade).
SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE question_search USING fts5(search_tokens, content='questions_question', "
    "content_rowid='id', tokenize=\"unicode61 remove_diacritics 0 tokenchars '-_+#.'''\")",
    "CREATE TRIGGER question_search_insert AFTER INSERT ON questions_question BEGIN "
    "INSERT INTO question_search(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "CREATE TRIGGER question_search_delete AFTER DELETE ON questions_question BEGIN "
    "INSERT INTO question_search(question_search, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); "
    "END",
    "CREATE TRIGGER question_search_update AFTER UPDATE OF search_tokens ON questions_question BEGIN "
    "INSERT INTO question_search(question_search, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens); "
    "INSERT INTO question_search(rowid, search_tokens) VALUES (new.id, new.search_tokens); END",
    "INSERT INTO question_search(question_search) VALUES ('rebuild')",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS question_search_insert", "DROP TRIGGER IF EXISTS question_search_delete",
               "DROP TRIGGER IF EXISTS question_search_update", "DROP TABLE IF EXISTS question_search"]


def _on_sqlite(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)
    return run


def sqlite_index_set_aside(*operations) -> list[migrations.RunPython]:
    """A migration's operations on questions_question with the SQLite index dropped before and rebuilt after:
    SQLite adds a column with a default by rebuilding the table, which drops the index's triggers."""
    return [migrations.RunPython(_on_sqlite(SQLITE_DROP), _on_sqlite(SQLITE_CREATE)), *operations,
            migrations.RunPython(_on_sqlite(SQLITE_CREATE), _on_sqlite(SQLITE_DROP))]


# On PostgreSQL the tokens as a stored tsvector, generated from search_tokens by the row's own write (an
# expression index alone would leave the planner recomputing it for every card it filters by owner).
POSTGRESQL_CREATE = [
    "ALTER TABLE questions_question ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_tokens, ' '))) STORED",
    "CREATE INDEX question_search_vector ON questions_question USING gin (search_vector)",
]
POSTGRESQL_DROP = ["DROP INDEX IF EXISTS question_search_vector",
                   "ALTER TABLE questions_question DROP COLUMN IF EXISTS search_vector"]
