"""Start a real gunicorn serving the app as the image does (gunicorn.conf.py, whose PORT it reads)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_gunicorn(env: dict[str, str], log: Path) -> Iterator[None]:
    """gunicorn with `env` (its PORT included), its output in `log`; ready when the port answers."""
    with log.open("w") as output:
        # No --bind or --workers: gunicorn.conf.py in the working directory reads PORT and WEB_CONCURRENCY.
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "quizapp.wsgi:application"],
                                  cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(server, int(env["PORT"]), log)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_listening(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 90  # a bound for a broken start, not a speed requirement
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not listen on {port}:\n{log.read_text()}")
