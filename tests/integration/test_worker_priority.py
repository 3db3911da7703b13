"""A demo's worker yields the CPU to the web: its processes run at a higher niceness than the web's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.worker import running_worker

pytestmark = pytest.mark.integration


def niceness(pid: int) -> int:
    # /proc/PID/stat: the 19th field; the command name (2nd, in parentheses) may hold spaces.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


def test_it_runs_the_worker_and_its_pool_below_the_webs_priority(transactional_db):
    web = os.nice(0)  # gunicorn and runserver keep the niceness they start with: this process's
    with running_worker(name="priority", without_env=("REDIS_URL",)) as worker:
        [pool] = worker.pool_pids()
        assert niceness(worker.process.pid) == niceness(pool) == min(19, web + settings.WORKER_NICENESS) > web
