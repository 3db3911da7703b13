import pytest

from tests.worker import left_out_for, running_worker

BROKERS = ["filesystem", "redis"]


@pytest.fixture(params=BROKERS)
def broker_worker(request, transactional_db):
    """A real worker on each broker: the serverless file broker always, Redis when REDIS_URL is set."""
    with running_worker(name=f"broker-{request.param}", without_env=left_out_for(request.param)) as worker:
        yield request.param, worker
