"""Run → chart in the browser: the time from the Run click to the final chart drawn, minus the engine's own
compute time for that run, in Chromium, on the embedded default and on PostgreSQL + Redis, quiet and busy.

    .venv/bin/python bench/demo_browser.py [--repeat 5] [--demos D13,D2,D1] [--setups embedded,full]
                                          [--loads quiet,busy] [--root CHECKOUT] [--capacity]

Everything runs for real, as deployed: gunicorn (gunicorn.conf.py: 3 processes, DEBUG off, static files from
the manifest), one `celery worker` (concurrency 1, queue `demos`), Debian's Chromium through Playwright with a
learner logged in. "embedded" is what `make run` gives with nothing set (SQLite and the file broker, fresh
under a temporary VAR_DIR); "full" is a throw-away PostgreSQL database (PG_ADMIN_URL, as bench/study.py) and
Redis at --redis-url (flushed first). "busy" adds two CPU-bound processes, each spinning on a core.

In the page a MutationObserver notes when the result's first chart is in the DOM after the run was seen live,
and the next animation frame is when it is on screen; the click's time is taken in the page's clock. The
run's `compute_seconds` (measured by the engine around the demo itself, in the worker) is subtracted, so
what remains is what the learner waits for besides the computation: the request, the queue, the worker's
claim and writes, the page's polling and the drawing. Each run is computed afresh (the runs are deleted
between clicks, so nothing comes from the cache). Also printed per setup: the same request → result through
the API alone, polled every 5 ms (the overhead in bench/demos.py's sense, minus the run's own compute).

--root serves another checkout with this script (e.g. an export of the commit before a change, for "before"
figures): it must have the same page structure (a .run-button and a .demo-output whose .result gets a
canvas). --capacity also measures how many requests per second gunicorn answers for a demo's page while
four pages poll a training D1 run as the page does (every 50 ms, ?seen=), against the same with nobody
polling; the phases take turns.

Targets: ≤ 150 ms quiet and ≤ 300 ms busy (medians), on both setups.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._harness import ADMIN_URL, admin_sql, app_process, busy_cores, free_port  # noqa: E402  (after the path: run as a script)

TARGETS_MS = {"quiet": 150.0, "busy": 300.0}
PASSWORD = "bench-password-1"
POLL_INTERVAL_S = 0.05  # what static/js/demos.js polls a live run at
LONG_D1 = {"depth": 50, "width": 256, "steps": 200, "seed": 7}

# Resolves with the milliseconds from the click to the frame after the result's first chart is in the DOM,
# once the page has shown the new run as queued or running (the previous result may still be on screen).
CLICK_TO_CHART = """() => new Promise((resolve) => {
  const output = document.querySelector(".demo-output");
  let live = false;
  const started = performance.now();
  new MutationObserver((changes, observer) => {
    live = live || ["queued", "running"].includes(output.dataset.status);
    if (live && output.dataset.status === "succeeded" && output.querySelector(".result canvas")) {
      observer.disconnect();
      requestAnimationFrame(() => resolve(performance.now() - started));
    }
  }).observe(output, {childList: true, subtree: true, attributes: true});
  document.querySelector(".run-button").click();
})"""


def base_env(var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "quizapp.settings", "VAR_DIR": str(var_dir), "DEBUG": "false",
           "SECRET_KEY": "bench-only-not-secret", "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false",
           "LOG_LEVEL": "WARNING", "DEMO_RUNS_PER_MINUTE": "1000000", "API_THROTTLE_USER": "1000000/min",
           "API_THROTTLE_ANON": "1000000/min", "API_THROTTLE_RUN_POLL": "1000000/min"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def setup_env(name: str, redis_url: str):
    with tempfile.TemporaryDirectory(prefix=f"bench-demo-browser-{name}-") as var_dir:
        env = base_env(Path(var_dir))
        if name == "embedded":
            yield env
            return
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        name = f"bench_browser_{os.getpid()}"
        admin_sql(f'CREATE DATABASE "{name}"')
        try:
            yield {**env, "DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", "REDIS_URL": redis_url}
        finally:
            admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(root: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)


def forget_runs(env: dict[str, str]) -> None:
    """Delete every run, so the next click computes afresh (in SQL: --root's models may differ from ours)."""
    statements = ["DELETE FROM demos_demorequest", "DELETE FROM demos_demorun"]
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://"), autocommit=True) as db:
            for statement in statements:
                db.execute(statement)
        return
    with contextlib.closing(sqlite3.connect(Path(env["VAR_DIR"]) / "db.sqlite3", timeout=20)) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()


def wait_for_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # 503 (no worker yet) still means gunicorn answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} in {timeout} s")


def newest_run(page) -> dict:
    response = page.request.get("/api/runs/?limit=1")
    return response.json()["results"][0]["run"]


def click_to_chart(page, env: dict[str, str], demo_id: str) -> tuple[float, float]:
    """One fresh run from the demo's page: (click → chart drawn ms, the run's compute ms)."""
    forget_runs(env)
    page.goto(f"/demos/{demo_id}/")
    page.locator(".run-button").wait_for()
    elapsed = page.evaluate(CLICK_TO_CHART)
    run = newest_run(page)
    if run["status"] != "succeeded":
        raise SystemExit(f"{demo_id} run {run['id']} ended {run['status']}: {run['error']}")
    return elapsed, run["result"]["compute_seconds"] * 1000


def api_round_trip(page, env: dict[str, str], demo_id: str) -> float:
    """Request → result through the API, polled every 5 ms, minus the run's compute (ms)."""
    forget_runs(env)
    token = page.evaluate("() => document.cookie.match(/csrftoken=([^;]+)/)?.[1] || ''")
    started = time.perf_counter()
    response = page.request.post(f"/api/demos/{demo_id}/runs/", data=json.dumps({"params": {}}),
                                 headers={"Content-Type": "application/json", "X-CSRFToken": token})
    run = response.json()
    while run["status"] not in ("succeeded", "failed"):
        time.sleep(0.005)
        run = page.request.get(f"/api/runs/{run['id']}/").json()
    total = (time.perf_counter() - started) * 1000
    if run["status"] != "succeeded":
        raise SystemExit(f"{demo_id} run failed: {run['error']}")
    return total - run["result"]["compute_seconds"] * 1000


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "bench-learner")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/login/" not in url)


def requests_per_second(url: str, seconds: float, clients: int = 4) -> float:
    """Requests answered per second by `clients` threads asking `url` back to back."""
    counts = [0] * clients
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        while time.monotonic() < deadline:
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
            counts[index] += 1

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


@contextlib.contextmanager
def pollers(url: str, count: int):
    """`count` pages polling a run as static/js/demos.js does: every 50 ms, with ?seen= the last change seen."""
    stop = threading.Event()

    def poll() -> None:
        seen = 0
        while not stop.is_set():
            with urllib.request.urlopen(f"{url}?seen={seen}", timeout=30) as response:
                if response.status == 200:
                    seen = json.load(response)["progress_seq"]
            stop.wait(POLL_INTERVAL_S)

    threads = [threading.Thread(target=poll) for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def long_run(page) -> str:
    """A D1 run that trains for a while (seconds on a quiet machine), left to compute while the pages poll it."""
    token = page.evaluate("() => document.cookie.match(/csrftoken=([^;]+)/)?.[1] || ''")
    response = page.request.post("/api/demos/D1/runs/", data=json.dumps({"params": LONG_D1}),
                                 headers={"Content-Type": "application/json", "X-CSRFToken": token})
    return response.json()["id"]


def capacity(base: str, demo_id: str, run_id: str, rounds: int = 3, seconds: float = 4.0, watchers: int = 4) -> None:
    page_url, poll_url = f"{base}/demos/{demo_id}/", f"{base}/api/runs/{run_id}/"
    alone, polled = [], []
    for _ in range(rounds):  # in turns: a machine that slows down weighs on both
        alone.append(requests_per_second(page_url, seconds))
        with pollers(poll_url, watchers):
            polled.append(requests_per_second(page_url, seconds))
    print(f"  capacity: GET /demos/{demo_id}/ by 4 clients, {statistics.median(alone):.1f} req/s alone, "
          f"{statistics.median(polled):.1f} req/s while {watchers} pages poll a live run every "
          f"{POLL_INTERVAL_S * 1000:.0f} ms (ratio {statistics.median(polled) / statistics.median(alone):.2f})")


def bench_setup(name: str, args) -> None:
    root = args.root.resolve()
    with setup_env(name, args.redis_url) as env:
        manage(root, env, "migrate", "--verbosity=0")
        manage(root, env, "collectstatic", "--noinput", "--verbosity=0")
        manage(root, env, "shell", "-c", "from django.contrib.auth import get_user_model; "
               f"get_user_model().objects.create_user('bench-learner', password='{PASSWORD}')")
        port = free_port()
        env = {**env, "PORT": str(port)}
        worker = [sys.executable, "-m", "celery", "-A", "quizapp", "worker", "--concurrency=1", "-Q", "demos",
                  "-n", f"bench-browser-{os.getpid()}@bench", "--without-gossip", "--without-mingle",
                  "--loglevel=WARNING"]
        web = [sys.executable, "-m", "gunicorn", "quizapp.wsgi:application"]
        from playwright.sync_api import sync_playwright

        var = Path(env["VAR_DIR"])
        with (app_process(worker, var / "worker.log", cwd=root, env=env),
              app_process(web, var / "web.log", cwd=root, env=env),
              sync_playwright() as playwright):
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/healthz")
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(base_url=base, locale="en-US").new_page()
            page.set_default_timeout(120_000)
            log_in(page)
            for demo_id in args.demos:  # warm-up: the worker's pool process, gunicorn's imports, the browser
                click_to_chart(page, env, demo_id)
            print(f"\n== {name}: {'PostgreSQL + Redis' if name == 'full' else 'SQLite + file broker'} "
                  f"({root.name}), median of {args.repeat} ==")
            for load in args.loads:
                with busy_cores() if load == "busy" else contextlib.nullcontext():
                    report(load, page, env, args)
            if args.capacity:
                capacity(base, args.demos[0], long_run(page))
            browser.close()


def report(load: str, page, env: dict[str, str], args) -> None:
    waits = {demo_id: [] for demo_id in args.demos}
    computes = {demo_id: [] for demo_id in args.demos}
    for _ in range(args.repeat):  # demos in turns, so a slow spell weighs on all of them
        for demo_id in args.demos:
            elapsed, compute = click_to_chart(page, env, demo_id)
            waits[demo_id].append(elapsed - compute)
            computes[demo_id].append(compute)
    api = [api_round_trip(page, env, args.demos[0]) for _ in range(args.repeat)]
    target = TARGETS_MS[load]
    for demo_id in args.demos:
        wait = statistics.median(waits[demo_id])
        print(f"  {load:<5} {demo_id:<4} Run → chart minus compute {wait:7.1f} ms (max {max(waits[demo_id]):7.1f}; "
              f"compute {statistics.median(computes[demo_id]):7.1f} ms) "
              f"target ≤ {target:.0f} ms: {'met' if wait <= target else 'MISSED'}")
    print(f"  {load:<5} {args.demos[0]:<4} API request → result minus compute {statistics.median(api):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--demos", default="D13,D2,D1", type=lambda text: text.split(","))
    parser.add_argument("--setups", default="embedded,full", type=lambda text: text.split(","))
    parser.add_argument("--loads", default="quiet,busy", type=lambda text: text.split(","))
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10"))
    parser.add_argument("--capacity", action="store_true", help="also gunicorn's capacity while pages poll")
    args = parser.parse_args()
    print(f"Run → chart in Chromium, minus the engine's compute; PostgreSQL admin: {ADMIN_URL}")
    for name in args.setups:
        bench_setup(name, args)


if __name__ == "__main__":
    main()
