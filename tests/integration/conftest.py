import os

import pytest

from tests.worker import WorkerProcess

BROKERS = ["filesystem", "redis"]


@pytest.fixture(params=BROKERS)
def broker_worker(request, transactional_db):
    """A real worker on each broker: the serverless file broker always, Redis when REDIS_URL is set."""
    if request.param == "redis" and not os.environ.get("REDIS_URL"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must set REDIS_URL: the Redis broker is not optional there")
        pytest.skip("REDIS_URL is not set: the Redis broker variant needs a Redis server")
    without = ("REDIS_URL",) if request.param == "filesystem" else ()
    worker = WorkerProcess(name=f"broker-{request.param}", without_env=without)
    try:
        worker.wait_ready()
        yield request.param, worker
    finally:
        worker.stop()
