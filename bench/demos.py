"""Demo benchmark: engine compute per demo, worker overhead, cached-request latency (and CPU vs GPU), and with
--busy each default run and a page's latency on a machine that two CPU-bound processes keep busy.

    .venv/bin/python bench/demos.py [--repeat 9] [--demo D13] [--busy | --busy-only]

Everything runs for real: a `celery worker` process, gunicorn serving the API over HTTP, the same
broker and database the app uses (file broker + SQLite by default, Redis/PostgreSQL when
REDIS_URL/DATABASE_URL are set). Numbers are medians over --repeat runs; the overhead is the
request-to-result time through the worker minus the same engine call made in this process, both
taken in this run (the machines are shared: compare within one run only).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizapp.settings")
os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
# The benchmark measures speed, not the rate limits.
os.environ["DEMO_RUNS_PER_MINUTE"] = "1000000"
os.environ["API_THROTTLE_USER"] = os.environ["API_THROTTLE_ANON"] = "1000000/min"

import django  # noqa: E402

django.setup()

import torch  # noqa: E402
from django.core.management import call_command  # noqa: E402

import engine  # noqa: E402
from bench._harness import app_process, busy_cores, free_port  # noqa: E402
from quizapp.core.models import WorkerHeartbeat  # noqa: E402
from quizapp.demos.models import DemoRun  # noqa: E402

TARGET_OVERHEAD_MS = 150
TARGET_CACHED_MS = 20


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    # nearest rank: the smallest sample that at least 95 % of the samples do not exceed
    return sorted(samples)[math.ceil(len(samples) * 0.95) - 1] * 1000


def wait_until(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def http(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Token {token}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def bench_compute(repeat: int) -> None:
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"\n== engine compute with default parameters (median of {repeat}) ==")
    header = f"{'demo':<5} {'cpu ms':>10}" + (f" {'cuda ms':>10} {'cpu/cuda':>9}" if len(devices) > 1 else "")
    print(header)
    for spec in engine.all_demos():
        times = {}
        for device in devices:
            engine.execute(spec.id, {}, device=device)  # warm-up: imports, CUDA context, kernels
            times[device] = median_ms([engine.execute(spec.id, {}, device=device)["compute_seconds"]
                                       for _ in range(repeat)])
        line = f"{spec.id:<5} {times['cpu']:>10.1f}"
        if "cuda" in times:
            line += f" {times['cuda']:>10.1f} {times['cpu'] / times['cuda']:>8.1f}×"
        print(line)


def in_process_ms(demo_id: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        engine.execute(demo_id, {})
        samples.append(time.perf_counter() - started)
    return samples


def through_worker(base: str, token: str, demo_id: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        DemoRun.objects.all().delete()  # no cache: every request queues a fresh run
        started = time.perf_counter()
        code, run = http("POST", f"{base}/api/demos/{demo_id}/runs/", token, {"params": {}})
        assert code == 201, (code, run)
        while run["status"] not in ("succeeded", "failed"):
            time.sleep(0.005)
            _, run = http("GET", f"{base}/api/runs/{run['id']}/", token)
        samples.append(time.perf_counter() - started)
        assert run["status"] == "succeeded", run["error"]
    return samples


def cached_requests(base: str, token: str, demo_id: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat * 5):
        started = time.perf_counter()
        code, run = http("POST", f"{base}/api/demos/{demo_id}/runs/", token, {"params": {}})
        samples.append(time.perf_counter() - started)
        assert code == 200 and run["from_cache"], (code, run)
    return samples


@contextmanager
def worker_and_web(name: str):
    """A real `celery worker` (queue demos) and gunicorn, both running; yields the web's base URL and a
    learner's API token."""
    from django.contrib.auth import get_user_model

    from quizapp.accounts.services import api_token_create

    user, _ = get_user_model().objects.get_or_create(username="bench")
    token = api_token_create(user=user)[1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hostname = f"{name}-{os.getpid()}@bench"
    WorkerHeartbeat.objects.filter(hostname=hostname).delete()
    worker = [sys.executable, "-m", "celery", "-A", "quizapp", "worker", "--concurrency=1", "-Q", "demos",
              "-n", hostname, "--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    web = [sys.executable, "-m", "gunicorn", "quizapp.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    var = Path(os.environ["VAR_DIR"])
    with app_process(worker, var / f"{name}-worker.log"), app_process(web, var / f"{name}-web.log"):
        wait_until(lambda: WorkerHeartbeat.objects.filter(hostname=hostname).exists(), "the worker")
        wait_until(lambda: _answers(f"{base}/healthz"), "gunicorn")
        yield base, token


def bench_round_trip(demo_id: str, repeat: int) -> None:
    with worker_and_web("bench") as (base, token):
        through_worker(base, token, demo_id, 2)  # warm-up: worker imports torch, gunicorn forks
        baseline = in_process_ms(demo_id, repeat)
        total = through_worker(base, token, demo_id, repeat)
        cached = cached_requests(base, token, demo_id, repeat)
    broker = "redis" if os.environ.get("REDIS_URL") else "filesystem"
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    overhead = median_ms(total) - median_ms(baseline)
    print(f"\n== request → result through the worker ({demo_id}, {broker} broker, {database}, "
          f"median of {repeat}) ==")
    print(f"engine call in-process        {median_ms(baseline):8.1f} ms")
    print(f"request → result via worker   {median_ms(total):8.1f} ms")
    print(f"overhead                      {overhead:8.1f} ms  (target < {TARGET_OVERHEAD_MS} ms: "
          f"{'met' if overhead < TARGET_OVERHEAD_MS else 'MISSED'}; "
          f"ratio {median_ms(total) / median_ms(baseline):.2f}× the in-process call)")
    print(f"cached request                {median_ms(cached):8.1f} ms median, {p95_ms(cached):.1f} ms p95 "
          f"(target < {TARGET_CACHED_MS} ms: {'met' if median_ms(cached) < TARGET_CACHED_MS else 'MISSED'})")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # 503 still means gunicorn answers
    except OSError:
        return False


TARGET_BUSY_RUN_S = 3.0
TARGET_PAGE_MS = 300
HOGS = 2  # CPU-bound processes competing with the app, as other work on a 2-core machine does
POLL_SECONDS = 0.05  # of the database: polling gunicorn this often would load the web this phase measures
PROBE_SECONDS = 0.5


def page_latency(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
    return time.perf_counter() - started


class PageProbe:
    """GETs a page every PROBE_SECONDS from a thread while a demo computes: what a reader waits meanwhile."""

    def __init__(self, url: str):
        self.url, self.samples, self.stop = url, [], threading.Event()
        self.thread = threading.Thread(target=self.probe, daemon=True)

    def probe(self) -> None:
        while not self.stop.wait(PROBE_SECONDS):
            self.samples.append(page_latency(self.url))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def default_run_seconds(base: str, token: str, demo_id: str) -> float:
    """Request → result of the demo's default run, computed afresh by the worker: the POST, the wait (watched
    in the database), and the GET that brings the result."""
    DemoRun.objects.filter(demo_id=demo_id).delete()  # no cache, no precomputed run
    started = time.perf_counter()
    code, run = http("POST", f"{base}/api/demos/{demo_id}/runs/", token, {"params": {}})
    assert code == 201, (code, run)
    finished = DemoRun.objects.filter(id=run["id"], status__in=[DemoRun.Status.SUCCEEDED, DemoRun.Status.FAILED])
    while not finished.exists():
        time.sleep(POLL_SECONDS)
    _, run = http("GET", f"{base}/api/runs/{run['id']}/", token)
    assert run["status"] == "succeeded", run["error"]
    return time.perf_counter() - started


def question_page_url(base: str) -> str:
    from questions.models import Question

    if not Question.objects.exists():
        call_command("load_corpus", verbosity=0)
    question = Question.objects.corpus().filter(demo_links__isnull=False).first()
    return f"{base}/questions/{question.card_id}/"


def measure_demos(base: str, token: str, page: str, demo_ids: list[str], repeat: int) -> dict:
    """Per demo, the median request → result; and every page latency sampled while they computed."""
    times, while_computing = {}, []
    for demo_id in demo_ids:
        with PageProbe(page) as probe:
            times[demo_id] = statistics.median(default_run_seconds(base, token, demo_id) for _ in range(repeat))
        while_computing += probe.samples
    return {"times": times, "pages": while_computing}


def bench_busy(demo_ids: list[str], repeat: int) -> None:
    with worker_and_web("bench-busy") as (base, token):
        page = question_page_url(base)
        default_run_seconds(base, token, "D13")  # warm-up: the worker's first task, gunicorn's first requests
        idle = [page_latency(page) for _ in range(20)]
        quiet = measure_demos(base, token, page, demo_ids, repeat)
        with busy_cores(HOGS):
            busy_idle = [page_latency(page) for _ in range(20)]
            busy = measure_demos(base, token, page, demo_ids, repeat)
    print(f"\n== default runs, request → result through the worker: quiet, and with {HOGS} CPU-bound processes "
          f"competing (median of {repeat}; {os.cpu_count()} CPUs) ==")
    print(f"{'demo':<5} {'quiet s':>8} {'busy s':>8} {'busy/quiet':>10}  target < {TARGET_BUSY_RUN_S:g} s busy")
    for demo_id in demo_ids:
        quiet_s, busy_s = quiet["times"][demo_id], busy["times"][demo_id]
        print(f"{demo_id:<5} {quiet_s:>8.2f} {busy_s:>8.2f} {busy_s / quiet_s:>9.1f}×  "
              f"{'met' if busy_s < TARGET_BUSY_RUN_S else 'MISSED'}")
    print(f"\n== a question page through gunicorn ({page.removeprefix(base)}), ms: median / p95 ==")
    rows = [("idle", idle), ("while a demo computes", quiet["pages"]), (f"busy ({HOGS} hogs), idle", busy_idle),
            (f"busy ({HOGS} hogs), while a demo computes", busy["pages"])]
    for label, samples in rows:
        if not samples:  # the demos finished before a page's probe could start
            print(f"{label:<40}    none: no demo computed long enough to probe a page meanwhile")
            continue
        print(f"{label:<40} {median_ms(samples):7.1f} / {p95_ms(samples):7.1f}  ({len(samples)} requests)")
    if quiet["pages"] or busy["pages"]:
        worst = max(p95_ms(samples) for samples in (quiet["pages"], busy["pages"]) if samples)
        print(f"target: p95 < {TARGET_PAGE_MS} ms while a demo computes: "
              f"{'met' if worst < TARGET_PAGE_MS else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--demo", default="D13", help="the demo timed through the worker (a fast one)")
    parser.add_argument("--skip-compute", action="store_true", help="only the worker round trip")
    parser.add_argument("--busy", action="store_true", help="add the busy-machine phase (every default run)")
    parser.add_argument("--busy-only", action="store_true", help="only the busy-machine phase")
    parser.add_argument("--busy-demos", nargs="*", metavar="DEMO", help="the busy phase's demos (default: all)")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"device: {engine.runtime.best_device()} · torch {torch.__version__} · {os.cpu_count()} CPUs")
    if args.busy_only:
        bench_busy(args.busy_demos or [spec.id for spec in engine.all_demos()], max(1, args.repeat // 9))
        return
    if not args.skip_compute:
        bench_compute(max(1, args.repeat // 3))
    bench_round_trip(args.demo, args.repeat)
    if args.busy:
        bench_busy(args.busy_demos or [spec.id for spec in engine.all_demos()], max(1, args.repeat // 9))


if __name__ == "__main__":
    main()
