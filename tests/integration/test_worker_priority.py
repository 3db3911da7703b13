"""A demo's worker yields the CPU to the web: its processes run at a higher niceness than the web's; started
beside the web, as `make run` starts it, it leaves the web's session (Linux's scheduling group) for its own."""

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


def test_started_beside_the_web_it_computes_in_a_session_of_its_own(transactional_db):
    with running_worker(name="apart", without_env=("REDIS_URL",), session_of_its_own=False) as worker:
        [pool] = worker.pool_pids()
        assert os.getsid(worker.process.pid) == os.getsid(pool) == worker.process.pid != os.getsid(0)
        assert "in a session of its own" in worker.log_path.read_text()


def test_a_worker_that_leads_its_process_group_stays_in_its_session_and_says_so(transactional_db):
    with running_worker(name="leader", without_env=("REDIS_URL",)) as worker:  # setsid by its starter
        [pool] = worker.pool_pids()
        assert os.getsid(pool) == worker.process.pid  # the session its starter gave it, not another
        assert "in the session it was started in" in worker.log_path.read_text()
