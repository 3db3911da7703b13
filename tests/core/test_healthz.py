from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from kombu import Connection

from quizapp.core import health
from quizapp.core.models import WorkerHeartbeat

check_broker = health.check_broker

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: a real refused connection


@pytest.fixture
def staff_client(client, alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    client.force_login(alice)
    return client


def test_it_reports_everything_up_with_a_live_worker(staff_client):
    WorkerHeartbeat.objects.create(hostname="w1@host", queues=["demos"], seen_at=timezone.now())
    response = staff_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["down"] == []
    assert body["workers"]["workers"][0]["name"] == "w1@host"


def test_it_answers_503_naming_missing_workers(staff_client):
    WorkerHeartbeat.objects.create(hostname="old@host", queues=["demos"],
                                   seen_at=timezone.now() - timedelta(minutes=5))
    response = staff_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["workers"]


def test_it_answers_503_naming_the_broker_when_it_is_down(staff_client, settings):
    WorkerHeartbeat.objects.create(hostname="w1@host", queues=["demos"], seen_at=timezone.now())
    settings.CELERY_BROKER_URL = DEAD_REDIS
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = staff_client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["broker"]["error"]


def test_it_tells_anyone_else_only_the_overall_status(client, bob, settings):
    WorkerHeartbeat.objects.create(hostname="w1@worker-host", queues=["demos"], seen_at=timezone.now())
    assert client.get("/healthz").json() == {"status": "ok"}
    health.recent_health_report.forget()  # as a few seconds later
    settings.CELERY_BROKER_URL = DEAD_REDIS
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    client.force_login(bob)  # signed in, but not staff
    for asker in (client, client.__class__()):
        response = asker.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable"}
        body = response.content.decode()
        assert "worker-host" not in body and "127.0.0.1" not in body and ":1" not in body


@contextmanager
def database_down():
    """The default database's connection pointed at nothing (a port nobody listens on, a SQLite file in
    a folder that does not exist): each query fails to connect, as with the server down."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/quizapp/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def test_it_answers_503_when_the_database_is_down_even_to_a_signed_in_caller(client, alice, transactional_db):
    client.force_login(alice)  # with a session cookie the middleware reads the session before the view
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json() == {"status": "unavailable"}


def test_it_keeps_pages_without_a_worker_working_when_redis_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = DEAD_REDIS
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": DEAD_REDIS,
                                   "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1}}}
    assert client.get("/").status_code == 200
    assert client.get("/questions/").status_code == 200
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.timeout(30)  # without socket timeouts the probe waits for the broker's answer forever
def test_it_names_a_broker_that_accepts_connections_but_never_answers(staff_client, broker_silent, settings):
    WorkerHeartbeat.objects.create(hostname="w1@host", queues=["demos"], seen_at=timezone.now())
    settings.CELERY_BROKER_URL = broker_silent
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = settings.REDIS_BROKER_TRANSPORT_OPTIONS  # as with REDIS_URL
    response = staff_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


@pytest.mark.timeout(30)
def test_it_probes_a_hung_broker_once_for_callers_asking_again_soon(client, db, broker_silent, settings, monkeypatch):
    WorkerHeartbeat.objects.create(hostname="w1@host", queues=["demos"], seen_at=timezone.now())
    settings.CELERY_BROKER_URL = broker_silent
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = settings.REDIS_BROKER_TRANSPORT_OPTIONS  # as with REDIS_URL
    probes = []
    monkeypatch.setattr(health, "check_broker", lambda: probes.append(1) or check_broker())
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.status_code == second.status_code == 503
    assert second.json() == {"status": "unavailable"}
    assert len(probes) == 1


def test_it_gives_the_broker_probe_its_own_short_socket_timeouts(settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**settings.REDIS_BROKER_TRANSPORT_OPTIONS, "socket_timeout": 30}
    opened = []
    monkeypatch.setattr(health, "Connection", lambda url, transport_options: opened.append(transport_options)
                        or Connection(url, transport_options=transport_options))
    assert health.check_broker()  # nothing listens on port 1
    assert opened[0]["socket_timeout"] <= 1 and opened[0]["socket_connect_timeout"] <= 1
