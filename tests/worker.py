"""Start a real `celery worker` process against the test database and the configured broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from quizapp.core.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_tests() -> str:
    """The URL of the database the tests use right now (the test copy, not the app's)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class WorkerProcess:
    """`session_of_its_own`: started as the leader of a new session (its process group is then the test's handle
    on it and its pool); False starts it inside the test's session, as `make run` does, and it leaves for one
    of its own at start (quizapp.core.priority.own_scheduling_group), with the same handle."""

    def __init__(self, *, name: str, queues: str = "demos", extra_env: dict[str, str] | None = None,
                 without_env: tuple[str, ...] = (), extra_args: tuple[str, ...] = (), session_of_its_own: bool = True):
        self.name = name
        self.hostname = f"{name}@test"
        env = {**os.environ, "DATABASE_URL": database_url_for_tests(), "VAR_DIR": str(settings.VAR_DIR),
               "DEMO_HEARTBEAT_SECONDS": "1", **(extra_env or {})}
        for variable in without_env:  # e.g. REDIS_URL, to put this worker on the file broker
            env.pop(variable, None)
        self.log_path = Path(settings.VAR_DIR) / f"worker-{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - the worker writes to it until stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "quizapp", "worker", "--loglevel=INFO", "--concurrency=1",
             "--pool=prefork", "-Q", queues, "-n", self.hostname, "--without-gossip", "--without-mingle", *extra_args],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=session_of_its_own)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()}")
            if WorkerHeartbeat.objects.filter(hostname=self.hostname).exists():
                return
            time.sleep(0.2)
        raise TimeoutError(f"worker did not report in {timeout} s:\n{self.log_path.read_text()}")

    def pool_pids(self) -> list[int]:
        """The worker's child processes: with --concurrency=1 and no -B, its one pool process."""
        pid = self.process.pid
        return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]

    def kill_pool_process(self) -> int:
        """SIGKILL the pool process (as the OOM killer would); the worker's main process lives on."""
        [pid] = self.pool_pids()
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker and its pool children die at once."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:  # started in the test's session, it had not left it yet: no group of its own
            self.process.send_signal(signum)


@contextmanager
def running_worker(**options) -> Iterator[WorkerProcess]:
    """A `WorkerProcess(**options)` that has reported in (its heartbeat row) before the block, stopped after it.
    It starts with its queues emptied (celery's --purge): a message an earlier test left on the broker names a
    row that test's database no longer has, and the worker would spend its row wait and retries on each (about
    five seconds a message, one message at a time) before the test's own."""
    worker = WorkerProcess(**{**options, "extra_args": ("--purge", *options.get("extra_args", ()))})
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def left_out_for(broker: str) -> tuple[str, ...]:
    """The environment a worker on `broker` ("filesystem" or "redis") is started without: REDIS_URL, for the
    serverless file broker. The Redis variant is skipped where no Redis is configured, and fails in CI, where
    it is not optional."""
    if broker == "redis" and not os.environ.get("REDIS_URL"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must set REDIS_URL: the Redis broker is not optional there")
        pytest.skip("REDIS_URL is not set: the Redis broker variant needs a Redis server")
    return ("REDIS_URL",) if broker == "filesystem" else ()
