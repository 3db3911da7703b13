"""Search benchmark: `GET /api/questions/?q=` for the relevance set's queries, over HTTP, against a bare
Django JSON view in the same run, for a learner with no own cards and one with 5,000, while 200 other
learners hold 100,000 own cards; on PostgreSQL and on SQLite.

    .venv/bin/python bench/search.py [--quick] [--database both|postgresql|sqlite] [--rounds 5]

Runs for real: a throw-away database (PostgreSQL: created and dropped here, PG_ADMIN_URL, default
postgres://postgres@127.0.0.1:5432/postgres; SQLite: a file under var/bench-search), the real corpus
loaded, gunicorn serving the app (one worker, one request at a time). Own cards are written from the
corpus's own texts (a learner's cards are on the same subjects), so a query finds as many of them,
in proportion, as of the corpus. Shared machines are noisy: the requests of a round take turns, and
only ratios within one run compare. Targets (issue 20): p50 within 50 ms; the same queries with 0
and with 5,000 own cards within 1.5× of each other.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._harness import bench_database, gunicorn, request  # noqa: E402  (the path first: run as a script)

ROOT = Path(__file__).resolve().parent.parent
RELEVANCE_SET = ROOT / "tests" / "questions" / "search_relevance.yaml"
OWN_CARDS = 5_000
OTHER_LEARNERS, OTHERS_CARDS = 200, 100_000


def ping(request):
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})


if __name__ != "__main__":  # imported by gunicorn: serve the project plus the baseline view
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizapp.settings")
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.urls import include, path

    application = get_wsgi_application()
    settings.ROOT_URLCONF = __name__
    urlpatterns = [path("bench/ping/", ping), path("", include("quizapp.urls"))]


def percentile_ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else float("nan")


def own_cards(owner, count: int, corpus: list, start: int) -> list:
    """`count` own cards written from the corpus's questions and answers, numbered so none repeats."""
    from questions.models import Question
    from questions.search import index_fields

    cards = []
    for n in range(start, start + count):
        source = corpus[n % len(corpus)]
        question, answer = f"{source.question_en} (my note {n})", source.answer_en[:600]
        cards.append(Question(
            card_id=f"own-bench{n:07d}", owner=owner, topic_id=source.topic_id, difficulty=source.difficulty,
            question_en=question, question_zh=question, answer_en=answer, answer_zh=answer,
            answer_html_en=f"<p>{answer}</p>", answer_html_zh=f"<p>{answer}</p>",
            **index_fields(question_en=question, question_zh="", answer_en=answer, answer_zh="", tags=[], aliases=[])))
    return cards


def seed(quick: bool) -> dict[str, str]:
    """The corpus, the two measured learners and the others; their API tokens."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from questions.models import Question
    from questions.services import corpus_load
    from quizapp.accounts.services import api_token_create

    corpus_load()
    corpus = list(Question.objects.corpus().order_by("id"))
    users = get_user_model().objects
    empty, searcher = users.create_user("no-own-cards"), users.create_user("five-thousand")
    Question.objects.bulk_create(own_cards(searcher, OWN_CARDS, corpus, 0), batch_size=2000)
    learners, per_learner = (20, 500) if quick else (OTHER_LEARNERS, OTHERS_CARDS // OTHER_LEARNERS)
    for n in range(learners):
        other = users.create_user(f"other{n}")
        Question.objects.bulk_create(own_cards(other, per_learner, corpus, OWN_CARDS + n * per_learner),
                                     batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a live database is vacuumed and has statistics; a fresh copy not yet
            cursor.execute("VACUUM ANALYZE")
    print(f"  {Question.objects.count()} cards ({len(corpus)} corpus, {OWN_CARDS} the learner's, "
          f"{learners * per_learner} of {learners} others)")
    return {"0 own cards": api_token_create(user=empty)[1],
            f"{OWN_CARDS} own cards": api_token_create(user=searcher)[1]}


def measure(env: dict[str, str], tokens: dict[str, str], queries: list[str], rounds: int) -> None:
    samples: dict[str, list[float]] = {"bare JSON view": [], **{name: [] for name in tokens}}
    found: dict[str, list[int]] = {name: [] for name in tokens}
    with gunicorn(env, workers=1, app="bench.search:application") as port:
        for query in queries:  # warm: the first request of each kind pays for imports and caches
            for token in tokens.values():
                request(port, "GET", "/api/questions/?" + urlencode({"q": query}), token=token)
        for round_number in range(rounds):
            for query in queries:
                path = "/api/questions/?" + urlencode({"q": query})
                started = time.perf_counter()
                request(port, "GET", "/bench/ping/")
                samples["bare JSON view"].append(time.perf_counter() - started)
                for name, token in tokens.items():
                    started = time.perf_counter()
                    status, body = request(port, "GET", path, token=token)
                    samples[name].append(time.perf_counter() - started)
                    if status != 200:
                        raise RuntimeError(f"{path}: {status} {body[:200]!r}")
                    if round_number == 0:
                        found[name].append(json.loads(body)["count"])
    bare = percentile_ms(samples["bare JSON view"], 0.5)
    print(f"  {'':<16} {'p50 ms':>8} {'p99 ms':>8} {'p50/bare':>9}   (requests: {len(samples['bare JSON view'])} each)")
    for name, values in samples.items():
        p50 = percentile_ms(values, 0.5)
        print(f"  {name:<16} {p50:8.1f} {percentile_ms(values, 0.99):8.1f} {p50 / bare:9.1f}")
    names = list(tokens)
    ratio = percentile_ms(samples[names[1]], 0.5) / percentile_ms(samples[names[0]], 0.5)
    print(f"  p50 with {names[1]} / with {names[0]}: {ratio:.2f} (target ≤ 1.5)")
    for name in names:
        print(f"  results per query, {name}: median {sorted(found[name])[len(found[name]) // 2]}, "
              f"most {max(found[name])}")


def run_one(database: str, quick: bool, rounds: int) -> None:
    import yaml

    queries = [entry["query"] for entry in yaml.safe_load(RELEVANCE_SET.read_text(encoding="utf-8"))]
    var_dir = ROOT / "var" / "bench-search"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "quizapp.settings", "DEBUG": "false",
           "SECRET_KEY": "bench-only-not-secret", "VAR_DIR": str(var_dir), "LOG_LEVEL": "WARNING",
           "SECURE_SSL_REDIRECT": "false", "API_THROTTLE_USER": "1000000/min", "API_THROTTLE_ANON": "1000000/min"}

    def go(database_url: str) -> None:
        env["DATABASE_URL"] = database_url
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        print(f"{database}: {len(queries)} queries × {rounds} rounds; seeding…")
        tokens = seed(quick)
        from django.db import connections

        connections.close_all()
        measure(env, tokens, queries, rounds)

    if database == "postgresql":
        with bench_database() as database_url:
            go(database_url)
    else:
        with tempfile.TemporaryDirectory(dir=var_dir) as folder:
            go(f"sqlite:///{folder}/bench.sqlite3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 cards of 20 others instead of 100,000 of 200")
    parser.add_argument("--database", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    if args.database != "both":
        run_one(args.database, args.quick, rounds)
        return
    for database in ("postgresql", "sqlite"):  # one process each: Django reads its database once
        subprocess.run([sys.executable, __file__, "--database", database, "--rounds", str(rounds),
                        *(["--quick"] if args.quick else [])], check=True)


if __name__ == "__main__":
    main()
