"""Demo benchmark: engine compute per demo, worker overhead, cached-request latency (and CPU vs GPU).

    .venv/bin/python bench/demos.py [--repeat 9] [--demo D13]

Everything runs for real: a `celery worker` process, gunicorn serving the API over HTTP, the same
broker and database the app uses (file broker + SQLite by default, Redis/PostgreSQL when
REDIS_URL/DATABASE_URL are set). Numbers are medians over --repeat runs; the overhead is the
request-to-result time through the worker minus the same engine call made in this process, both
taken in this run (the machines are shared: compare within one run only).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
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
from quizapp.core.models import WorkerHeartbeat  # noqa: E402
from quizapp.demos.models import DemoRun  # noqa: E402

TARGET_OVERHEAD_MS = 150
TARGET_CACHED_MS = 20


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95_ms(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.95) - 1)] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def process(command: list[str], log_name: str):
    log_path = Path(os.environ["VAR_DIR"]) / log_name
    with open(log_path, "w") as log:
        child = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield child
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)


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


def bench_round_trip(demo_id: str, repeat: int) -> None:
    from django.contrib.auth import get_user_model

    from quizapp.accounts.services import api_token_create

    user, _ = get_user_model().objects.get_or_create(username="bench")
    token = api_token_create(user=user)[1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hostname = f"bench-{os.getpid()}@bench"
    WorkerHeartbeat.objects.filter(hostname=hostname).delete()
    worker = [sys.executable, "-m", "celery", "-A", "quizapp", "worker", "--concurrency=1", "-Q", "demos",
              "-n", hostname, "--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    web = [sys.executable, "-m", "gunicorn", "quizapp.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
           "--access-logfile", "-"]
    with process(worker, "bench-worker.log"), process(web, "bench-web.log"):
        wait_until(lambda: WorkerHeartbeat.objects.filter(hostname=hostname).exists(), "the worker")
        wait_until(lambda: _answers(f"{base}/healthz"), "gunicorn")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--demo", default="D13", help="the demo timed through the worker (a fast one)")
    parser.add_argument("--skip-compute", action="store_true", help="only the worker round trip")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"device: {engine.runtime.best_device()} · torch {torch.__version__} · {os.cpu_count()} CPUs")
    if not args.skip_compute:
        bench_compute(max(1, args.repeat // 3))
    bench_round_trip(args.demo, args.repeat)


if __name__ == "__main__":
    main()
