"""What the benchmarks share: a throw-away PostgreSQL database, gunicorn serving the app, one HTTP
request at a time, the app's processes and the CPU-bound ones that make a machine busy. It imports nothing
of the project, so a script can set its environment (DATABASE_URL...) before Django reads its settings."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def request(port: int, method: str, path: str, *, token: str | None = None, body: dict | None = None):
    """One HTTP request on a fresh connection (gunicorn's sync workers close after each response)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload, headers["Content-Type"] = json.dumps(body), "application/json"
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def bench_database():
    name = f"bench_{os.getpid()}"
    admin_sql(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], workers: int, app: str = "bench.study:application"):
    port = free_port()
    log_path = Path(env["VAR_DIR"]) / f"bench-{os.getpid()}-gunicorn.log"
    with open(log_path, "w") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app, "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if request(port, "GET", "/bench/ping/")[0] == 200:
                        break
                except OSError:
                    pass
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield port
        finally:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(timeout=30)


@contextmanager
def app_process(command: list[str], log_path: Path, *, cwd: Path = ROOT, env: dict[str, str] | None = None):
    """A process of the app, started in this session and its process group as `make run` starts it: the web
    stays there; a worker leaves for a session of its own at start (quizapp.core.priority.
    own_scheduling_group), which a process leading its own group could not. Linux's autogroup gives each
    session its own scheduling group: busy_cores' sessions compete as other people's work does, whatever the
    niceness inside them."""
    with open(log_path, "w") as log:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            if child.poll() is None:
                _signal_group(child, signal.SIGTERM)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    _signal_group(child, signal.SIGKILL)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    """The child with the processes it started: a worker's group is its session's, which it leads; the web,
    in this process's group, stops its own workers on SIGTERM."""
    try:
        if os.getpgid(child.pid) == child.pid:
            os.killpg(child.pid, signum)
            return
    except ProcessLookupError:
        return
    child.send_signal(signum)


@contextmanager
def busy_cores(count: int = 2):
    """`count` processes spinning on the CPU, each in its own session, until the block ends."""
    spinning = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
                for _ in range(count)]
    try:
        time.sleep(1)  # let the scheduler see them as running
        yield
    finally:
        for spinner in spinning:
            spinner.kill()
            spinner.wait()
