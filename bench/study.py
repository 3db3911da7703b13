"""Study benchmark: the review round trip over HTTP against a bare Django view, and the due queue's
queries with 1e3 against 1e6 card states in the table.

    .venv/bin/python bench/study.py [--quick] [--clients 8] [--seconds 15]

Runs for real: a throw-away PostgreSQL database (created and dropped here; PG_ADMIN_URL, default
postgres://postgres@127.0.0.1:5432/postgres), gunicorn serving the app, concurrent client threads
speaking HTTP. The baseline is a bare Django view returning a small JSON body, served by the same
gunicorn and middleware in the same run; the API floor (DRF and token authentication, no study work)
bounds what any study endpoint could reach. Shared machines are noisy: the phases take turns in
rounds, and only ratios within one run compare.

This module is also the app gunicorn serves (bench.study:application): the project's URLs plus
the baseline view, so no bench-only URL lives in the project itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._harness import bench_database, gunicorn, request  # noqa: E402  (the path first: run as a script)

ROOT = Path(__file__).resolve().parent.parent
TARGET_QUERY_RATIO = 2.0
API_FLOOR = "/bench/api-ping/"
REVIEW = "/api/study/reviews/"
QUEUE = "/api/study/queue/?limit=1"  # the first card of a session
LEARNERS_PER_CLIENT = 16  # enough learners to study through the daily limits for the whole run


def ping(request):
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})


def api_ping(request):
    """The study API's floor: a DRF view with the same authentication and permission as the study
    endpoints, answering a small JSON body without touching the study tables."""
    from rest_framework.response import Response

    return Response({"status": "ok", "user": request.user.pk})


if __name__ != "__main__":  # imported by gunicorn: serve the project plus the baseline view
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizapp.settings")
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.urls import include, path

    application = get_wsgi_application()
    settings.ROOT_URLCONF = __name__
    from rest_framework.decorators import api_view, permission_classes
    from rest_framework.permissions import IsAuthenticated

    api_floor = api_view(["GET"])(permission_classes([IsAuthenticated])(api_ping))  # the study API's defaults
    urlpatterns = [path("bench/ping/", ping), path("bench/api-ping/", api_floor), path("", include("quizapp.urls"))]


# --- measuring -------------------------------------------------------------------------------------

@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, seconds: float) -> None:
        self.latencies.append(seconds)


def percentile_ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000 if ordered else float("nan")


@dataclass
class Phase:
    """One kind of request, measured over one or more slices of a run."""
    name: str
    unit: str  # what one loop of its work is: "req" or "trip"
    work: object  # work(client_index, samples) -> bool: one loop, True when it counts
    loops: int = 0
    seconds: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # by program
    samples: dict[str, Samples] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.loops / self.seconds

    def cpu_ms_per_loop(self) -> dict[str, float]:
        return {program: seconds * 1000 / max(1, self.loops) for program, seconds in self.cpu_seconds.items()}


def drive(clients: int, seconds: float, phase: Phase) -> None:
    """Run the phase's work in a loop from `clients` threads for `seconds`, adding the completed
    loops, the time, the CPU by program and the latency samples to the phase."""
    stop, done, failures = threading.Event(), [0] * clients, []
    lock = threading.Lock()

    def client(index: int) -> None:
        mine: dict[str, Samples] = {}
        try:
            while not stop.is_set():
                if phase.work(index, mine):
                    done[index] += 1
        except Exception as error:  # a client that stopped would understate the rate: end the run
            failures.append(error)
        with lock:
            for name, values in mine.items():
                merged = phase.samples.setdefault(name, Samples())
                merged.latencies += values.latencies
                merged.errors += values.errors

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    cpu_before = cpu_seconds_by_program()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed, cpu_after = time.perf_counter() - started, cpu_seconds_by_program()
    if failures:
        raise RuntimeError(f"{phase.name}: a client failed") from failures[0]
    phase.loops += sum(done)
    phase.seconds += elapsed
    for program, total in cpu_after.items():
        phase.cpu_seconds[program] = phase.cpu_seconds.get(program, 0.0) + total - cpu_before[program]


def timed(mine: dict[str, Samples], name: str, call):
    started = time.perf_counter()
    status, body = call()
    sample = mine.setdefault(name, Samples())
    sample.add(time.perf_counter() - started)
    if status >= 400:
        sample.errors += 1
    return status, body


def cpu_seconds_by_program() -> dict[str, float]:
    """CPU time (user + system) used so far by the processes that serve a request, by program:
    the app (gunicorn), the database (postgres) and this client. For the app and the database it
    includes their ended children's time, which Linux adds to the parent that reaps them, so a
    backend that exits mid-phase (a recycled connection, an autovacuum worker) still counts.
    Linux /proc; empty elsewhere."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"app": 0.0, "database": 0.0, "client": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" (", 1)
            name, fields = rest.rsplit(") ", 1)
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        values = fields.split()
        own, children = (int(values[11]) + int(values[12])) / tick, (int(values[13]) + int(values[14])) / tick
        if int(pid) == os.getpid():
            totals["client"] += own  # its children are gunicorn, counted as the app
        elif name == "postgres":
            totals["database"] += own + children
        elif b"gunicorn" in cmdline:
            totals["app"] += own + children
    return totals if Path("/proc/self/stat").exists() else {}


# --- the database ---------------------------------------------------------------------------------

def seed(*, users: int, questions: int, due_cards: int) -> list[str]:
    """Questions, learners (with API tokens and the default daily limits) and, for each learner, a
    backlog of review cards due now."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from questions.models import Question, Topic
    from quizapp.accounts.services import api_token_create
    from quizapp.study.models import StudySettings

    topic = Topic.objects.create(slug="bench", title_en="Bench", title_zh="基准")
    Question.objects.bulk_create([
        Question(card_id=f"bench-{n}", topic=topic, difficulty=1 + n % 3, position=n, question_en=f"Q{n}?",
                 question_zh=f"问{n}?", answer_en="A.", answer_zh="答。", answer_html_en="<p>A.</p>",
                 answer_html_zh="<p>答。</p>") for n in range(questions)])
    tokens = []
    for n in range(users):
        user = get_user_model().objects.create_user(f"learner{n}", password=None)
        StudySettings.objects.create(user=user)
        tokens.append(api_token_create(user=user)[1])
        with connection.cursor() as cursor:
            insert_cards(cursor, user_filter="id = %s", params=[user.pk], questions=due_cards, due_spread_days=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # a live database has statistics (autovacuum); a fresh copy needs them now
    return tokens


def insert_cards(cursor, *, user_filter: str, params: list, questions: int, due_spread_days: int) -> None:
    """Review-state cards for the chosen users: one per question (the first `questions` ones), due
    now minus a day or spread over +/- due_spread_days, with a plausible FSRS memory state."""
    cursor.execute(f"""
        INSERT INTO study_cardstate (user_id, question_id, state, step, stability, difficulty, due, last_review,
                                     reps, lapses, is_leech, suspended, buried_until)
        SELECT u.id, q.id, 'review', NULL, 1 + random() * 30, 1 + random() * 9,
               now() - interval '1 day' + (random() * 2 - 1) * %s * interval '1 day',
               now() - interval '10 days', 3, 0, false, false, NULL
        FROM (SELECT id FROM auth_user WHERE {user_filter}) u
        CROSS JOIN (SELECT id FROM questions_question ORDER BY id LIMIT %s) q
    """, [due_spread_days, *params, questions])


# --- phase 1: HTTP ----------------------------------------------------------------------------------

def baseline_work(port: int):
    def work(index: int, mine: dict[str, Samples]) -> bool:
        status, _ = timed(mine, "GET /bench/ping/", lambda: request(port, "GET", "/bench/ping/"))
        return status == 200
    return work


class Learners:
    """Each client studies as one learner until that learner's day is done (the daily limits are the
    defaults: 200 reviews, 20 new cards), then takes the next learner nobody has studied as yet."""

    def __init__(self, tokens: list[str], clients: int):
        self._unused = list(reversed(tokens[clients:]))
        self._current = tokens[:clients]
        self._lock = threading.Lock()

    def token(self, client: int) -> str:
        return self._current[client]

    def day_done(self, client: int) -> str:
        with self._lock:
            if not self._unused:
                raise RuntimeError("every learner finished the day: seed more learners")
            self._current[client] = self._unused.pop()
            return self._current[client]


def learner_get_work(port: int, learners: Learners, path: str):
    """GET `path` as each client's learner."""
    label = f"GET {path.split('?')[0]}"

    def work(index: int, mine: dict[str, Samples]) -> bool:
        status, _ = timed(mine, label, lambda: request(port, "GET", path, token=learners.token(index)))
        return status == 200
    return work


def round_trip_work(port: int, learners: Learners, endpoint: str):
    """Rate the card on screen and get the next one: what the study page does for every card. The
    review's answer carries the next card, so one request to `endpoint` is the whole round trip."""
    shown: dict[int, dict] = {}

    def work(index: int, mine: dict[str, Samples]) -> bool:
        token = learners.token(index)
        if index not in shown:
            status, body = request(port, "GET", QUEUE, token=token)
            cards = json.loads(body)["cards"]
            if not cards:
                learners.day_done(index)
                return False
            shown[index] = cards[0]
        card = shown[index]
        review = {"question": card["question"], "rating": 3, "client_id": str(uuid.uuid4()),
                  "expected_reps": card["reps"], "duration_ms": 5000}
        status, body = timed(mine, f"POST {endpoint}",
                             lambda: request(port, "POST", endpoint, token=token, body=review))
        if status != 201:
            shown.pop(index)
            return False
        cards = json.loads(body)["next"]["cards"]
        if cards:
            shown[index] = cards[0]
        else:
            shown.pop(index)
            learners.day_done(index)
        return True
    return work


def rating_alone_work(port: int, learners: Learners, endpoint: str):
    """Rate a card without asking for the next (next_cards 0): what the study page sends while it
    shows the next card from the ones it holds. The cards come from one queue read per learner,
    outside the timed request."""
    held: dict[int, list[dict]] = {}

    def work(index: int, mine: dict[str, Samples]) -> bool:
        token = learners.token(index)
        if not held.get(index):
            status, body = request(port, "GET", "/api/study/queue/?limit=20", token=token)
            held[index] = json.loads(body)["cards"]
            if not held[index]:
                learners.day_done(index)
                return False
        card = held[index].pop(0)
        review = {"question": card["question"], "rating": 4, "client_id": str(uuid.uuid4()),
                  "expected_reps": card["reps"], "duration_ms": 5000, "next_cards": 0}
        status, _ = timed(mine, f"POST {endpoint} (next_cards 0)",
                          lambda: request(port, "POST", endpoint, token=token, body=review))
        if status != 201:
            held.pop(index)  # read the queue again rather than rate more cards it no longer holds
        return status == 201
    return work


def report_http(phase: Phase) -> None:
    print(f"  {phase.name}: {phase.rate:8.1f} {phase.unit}/s")
    if cpu := phase.cpu_ms_per_loop():
        print(f"    CPU per {phase.unit}: " + ", ".join(f"{program} {ms:.2f} ms" for program, ms in cpu.items()))
    for label, values in phase.samples.items():
        print(f"    {label:26s} n={len(values.latencies):6d}  p50={percentile_ms(values.latencies, .5):7.1f} ms"
              f"  p99={percentile_ms(values.latencies, .99):7.1f} ms  errors={values.errors}")


def http_phase(env: dict[str, str], tokens: list[str], *, clients: int, seconds: float, workers: int,
               rounds: int) -> None:
    """Each phase runs `seconds` in all, in `rounds` slices taken in turn, each round starting one
    phase later: a machine that slows down or speeds up during the run, or the vacuuming that a
    writing phase leaves behind, weighs on every phase alike instead of on whichever ran then."""
    print(f"\nHTTP: gunicorn with {workers} sync workers, {clients} client threads, {seconds:g} s per phase "
          f"in {rounds} rounds, {len(tokens)} learners")
    with gunicorn(env, workers) as port:
        # The rating-alone phase holds cards across its turns: its learners are its own, so that no
        # other phase rates a card it holds meanwhile.
        learners, own_learners = Learners(tokens[::2], clients), Learners(tokens[1::2], clients)
        baseline = Phase("baseline (bare Django JSON view)", "req", baseline_work(port))
        phases = [
            baseline,
            Phase("API floor (DRF + token auth, no study work)", "req", learner_get_work(port, learners, API_FLOOR)),
            Phase("queue alone (first card of a session)", "req", learner_get_work(port, learners, QUEUE)),
            Phase("review round trip (rating + next card)", "trip", round_trip_work(port, learners, REVIEW)),
            Phase("rating alone (no next card)", "req", rating_alone_work(port, own_learners, REVIEW)),
        ]
        for phase in phases:  # warm up every path (imports, connections)
            drive(clients, 1.0, Phase(phase.name, phase.unit, phase.work))  # a throw-away record
        for turn in range(rounds):  # each round starts one phase later: none always follows the same one
            for phase in phases[turn:] + phases[:turn]:
                drive(clients, seconds / rounds, phase)
    for phase in phases:
        report_http(phase)
    for phase in phases[1:]:
        print(f"  {phase.name.split(' (')[0]} ÷ baseline throughput = {phase.rate / baseline.rate:.2f}")
    print("  (the API floor is the most any study endpoint could reach here: the API's framework alone)")


# --- phase 2: the due-queue query -------------------------------------------------------------------

def median_seconds(call, repeat: int) -> float:
    """The median of `repeat` timed calls after a warm-up; on a shared machine the median shrugs
    off the runs another process interrupted."""
    for _ in range(5):
        call()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def queue_statements(user) -> list[str]:
    """The statements one study_queue() call sends, as the database received them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from quizapp.study.queue import study_queue

    with CaptureQueriesContext(connection) as captured:
        study_queue(user=user, limit=1)
    return [query["sql"] for query in captured.captured_queries]


def server_seconds(user, repeat: int) -> float:
    """The median of the execution times PostgreSQL itself reports (EXPLAIN ANALYZE) for the queue's
    statements, summed: the queries without this process's share of a busy machine."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            total = 0.0
            for sql in queue_statements(user):
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                total += cursor.fetchone()[0][0]["Execution Time"] / 1000
            timings.append(total)
    return statistics.median(timings)


def measure_queue(user, repeat: int) -> tuple[float, float]:
    from quizapp.study.queue import study_queue

    return (server_seconds(user, repeat), median_seconds(lambda: study_queue(user=user, limit=1), repeat))


def card_state_access_paths(user) -> list[str]:
    """How the queue's plans read study_cardstate."""
    from django.db import connection

    lines = []
    with connection.cursor() as cursor:
        for sql in queue_statements(user):
            cursor.execute(f"EXPLAIN {sql}")
            lines += [row[0].strip() for row in cursor.fetchall()]
    return sorted({line.split("  (cost")[0].removeprefix("->  ") for line in lines if " on study_cardstate" in line})


def settle(cursor) -> None:
    """Statistics and the visibility map, as autovacuum leaves a live table (and so that it does
    not start vacuuming in the middle of the measurements)."""
    cursor.execute("VACUUM ANALYZE study_cardstate")
    cursor.execute("CHECKPOINT")  # write the bulk insert out now, not during the measurements
    time.sleep(2)


def query_phase(*, big: int, per_user: int, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from quizapp.study.models import StudySettings

    print(f"\nThe queue's statements for one learner with {per_user} cards, {repeat} runs each (median)")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE study_reviewlog, study_cardstate")
    probe = get_user_model().objects.create_user("probe", password=None)
    StudySettings.objects.create(user=probe)
    with connection.cursor() as cursor:
        insert_cards(cursor, user_filter="id = %s", params=[probe.pk], questions=per_user, due_spread_days=60)
        settle(cursor)
    small = measure_queue(probe, repeat)

    fillers = (big - per_user) // per_user
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO auth_user (username, password, is_superuser, first_name, last_name, email, is_staff,
                                   is_active, date_joined)
            SELECT 'filler' || g, '!', false, '', '', '', false, true, now() FROM generate_series(1, %s) g
        """, [fillers])
        insert_cards(cursor, user_filter="username LIKE 'filler%%'", params=[], questions=per_user,
                     due_spread_days=60)
        settle(cursor)
        cursor.execute("SELECT count(*) FROM study_cardstate")
        rows = cursor.fetchone()[0]
    print(f"  (inserted {rows - per_user} more card states in {time.perf_counter() - started:.1f} s)")
    connection.close()  # a fresh connection, as the app's are (CONN_MAX_AGE)
    big = measure_queue(probe, repeat)

    print(f"  {'card states in table':38s} {per_user:>10d} {rows:>10d}    ratio")
    labels = ("queue statements, PostgreSQL execution", "whole study_queue(), from Django")
    for label, low, high in zip(labels, small, big, strict=True):
        print(f"  {label:38s} {low * 1000:7.3f} ms {high * 1000:7.3f} ms   {high / low:5.2f}×")
    verdict = "meets" if big[0] / small[0] <= TARGET_QUERY_RATIO else "misses"
    print(f"  the due queue {verdict} the within-{TARGET_QUERY_RATIO:g}× target (PostgreSQL's own timing)")
    print(f"  {len(queue_statements(probe))} statements; how their plans read study_cardstate with the big table:")
    for line in card_state_access_paths(probe):
        print(f"    {line}")


# --- main ---------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases and 1e5 instead of 1e6 card states")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=None, help="per phase, all rounds together")
    parser.add_argument("--rounds", type=int, default=None, help="slices each phase's time is cut into")
    args = parser.parse_args()
    seconds = args.seconds or (4 if args.quick else 15)
    rounds = args.rounds or (2 if args.quick else 3)
    big = 100_000 if args.quick else 1_000_000

    var_dir = ROOT / "var" / "bench-study"
    var_dir.mkdir(parents=True, exist_ok=True)
    with bench_database() as database_url:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "quizapp.settings", "DATABASE_URL": database_url,
               "DEBUG": "false", "SECRET_KEY": "bench-only-not-secret", "VAR_DIR": str(var_dir),
               "LOG_LEVEL": "WARNING", "OMP_NUM_THREADS": "1",
               # Plain HTTP on the loopback, no TLS proxy: production would answer 301 to HTTPS.
               "SECURE_SSL_REDIRECT": "false",
               # The benchmark measures speed, not the rate limits (the throttles still run).
               "API_THROTTLE_USER": "1000000/min", "API_THROTTLE_ANON": "1000000/min"}
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        print(f"database {database_url} migrated; seeding…")
        # A corpus of 1000 questions; each learner has 300 reviews due (more than a day's limit).
        tokens = seed(users=args.clients * LEARNERS_PER_CLIENT, questions=1000, due_cards=300)
        http_phase(env, tokens, clients=args.clients, seconds=seconds, workers=args.workers, rounds=rounds)
        query_phase(big=big, per_user=1000, repeat=30 if args.quick else 100)


if __name__ == "__main__":
    main()
