import pytest
from django.core.cache import cache


def forget_throttle_history() -> None:
    """Forget the requests earlier tests made from this address. With Redis only the throttles' keys
    go: the Celery broker shares the database."""
    if hasattr(cache, "delete_pattern"):  # django-redis
        cache.delete_pattern("throttle_*")
    else:
        cache.clear()


@pytest.fixture
def throttle_rates(generous_throttles):
    """The rates in force, to lower in a test (throttle_rates["anon"] = "2/min")."""
    forget_throttle_history()
    yield generous_throttles
    forget_throttle_history()
