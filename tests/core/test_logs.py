"""Log lines carry the request's id (or the Celery task's), in text or JSON; errors go to Sentry when set."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from quizapp.demos import services
from quizapp.demos.models import DemoRun
from tests import worker
from tests.web_server import free_port, running_gunicorn

ROOT = Path(__file__).resolve().parents[2]
SITE = "trainer.example.org"  # the only host the production server allows: not 127.0.0.1


def text_line(request_id: str) -> str:
    """LOG_FORMAT=text: time, level, logger, [id], message."""
    return rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}} (?:INFO|WARNING) [\w.]+ \[{re.escape(request_id)}\] .*"


# --- in the web process -------------------------------------------------------------------------------

def test_it_echoes_the_proxys_request_id(client, db):
    response = client.get("/", HTTP_X_REQUEST_ID="nginx-0f3a9c2e7b")
    assert response["X-Request-ID"] == "nginx-0f3a9c2e7b"


@pytest.mark.parametrize("sent", [None, "", "two words", "line\r\nINJECTED 200", "x" * 129, "ünïcode"])
def test_it_makes_its_own_id_when_the_proxy_sends_none_or_a_bad_one(client, db, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/", **headers)["X-Request-ID"])


def test_it_gives_each_request_its_own_id(client, db):
    assert client.get("/")["X-Request-ID"] != client.get("/")["X-Request-ID"]


# --- through gunicorn with the production settings ----------------------------------------------------

def server_environment(port: int, log_format: str, var_dir: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "quizapp.settings", "DEBUG": "false",
            "SECRET_KEY": "test-only-" + "k" * 40, "ALLOWED_HOSTS": f".{SITE}", "VAR_DIR": str(var_dir),
            "DATABASE_URL": worker.database_url_for_tests(), "PORT": str(port), "WEB_CONCURRENCY": "1",
            "LOG_FORMAT": log_format}


@pytest.fixture
def production_web(request, transactional_db, tmp_path):
    """gunicorn as the image runs it (its config file, DEBUG off), logging in request.param's format."""
    port, log = free_port(), tmp_path / "web.log"
    env = server_environment(port, request.param, tmp_path)
    with running_gunicorn(env, log):
        yield port, log, env


def get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Host": SITE, "X-Forwarded-Proto": "https", **headers})
    response = connection.getresponse()
    response.read()
    return response


def log_line_with(log: Path, text: str) -> str:
    deadline = time.monotonic() + 30  # the line is written as the answer goes out; allow a slow flush
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if text in line:
                return line
        time.sleep(0.1)
    raise AssertionError(f"no line with {text!r} in:\n{log.read_text()}")


@pytest.mark.parametrize("production_web", ["text", "json"], indirect=True)
def test_it_logs_one_line_per_request_with_its_id(production_web):
    port, log, env = production_web
    request_id = f"proxy-{env['LOG_FORMAT']}-4f1c"
    response = get(port, "/api/topics/", **{"X-Request-ID": request_id})
    assert response.status == 200 and response.getheader("X-Request-ID") == request_id
    line = log_line_with(log, "GET /api/topics/ 200")
    if env["LOG_FORMAT"] == "json":
        record = json.loads(line)
        assert (record["level"], record["logger"], record["request_id"]) == ("INFO", "quizapp.request", request_id)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", record["time"])
        assert record["message"].startswith("GET /api/topics/ 200") and record["status"] == 200
    else:
        assert re.fullmatch(text_line(request_id), line), line


@pytest.mark.parametrize("production_web", ["text"], indirect=True)
def test_it_keeps_an_address_from_writing_a_forged_line(production_web):
    port, log, _ = production_web
    forged = "2026-01-01 00:00:00,000 INFO quizapp.request [admin] POST /admin/ 200 1 ms"
    assert get(port, "/x%0D%0A" + urllib.parse.quote(forged), **{"X-Request-ID": "forger-1"}).status == 404
    line = log_line_with(log, "[forger-1] GET /x")
    assert re.fullmatch(text_line("forger-1"), line) and f"GET /x\\r\\n{forged} 404 " in line, line
    assert not [line for line in log.read_text().splitlines() if line.startswith(forged[:20])]


@pytest.mark.parametrize("production_web", ["text"], indirect=True)
def test_it_carries_the_request_id_in_djangos_own_line_for_an_error_answer(production_web):
    port, log, _ = production_web
    assert get(port, "/no-such-page/", **{"X-Request-ID": "proxy-404-7d2e"}).status == 404
    line = log_line_with(log, "Not Found: /no-such-page/")
    assert re.fullmatch(text_line("proxy-404-7d2e"), line), line
    assert " WARNING django.request " in line


@pytest.mark.parametrize("production_web", ["json"], indirect=True)
def test_it_passes_the_container_health_check_where_127_0_0_1_is_not_an_allowed_host(production_web):
    port, _, env = production_web
    with pytest.raises(urllib.error.HTTPError) as naive:  # what a plain curl of 127.0.0.1 would get
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=60)
    assert naive.value.code == 400
    check = subprocess.run([sys.executable, "scripts/healthcheck.py"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "answered 503" in check.stdout  # no worker here: the web itself is fine
    nobody_listening = {**env, "PORT": str(free_port())}
    stopped = subprocess.run([sys.executable, "scripts/healthcheck.py"], cwd=ROOT, env=nobody_listening,
                             capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 1


# --- in a worker ---------------------------------------------------------------------------------------

def test_it_carries_the_task_id_in_a_workers_task_lines(celery_worker, alice):
    outcome = services.demo_run_request(user=alice, demo_id="D13", raw_params={})
    deadline = time.monotonic() + 120
    run = DemoRun.objects.get(id=outcome.run.id)
    while run.status not in (DemoRun.Status.SUCCEEDED, DemoRun.Status.FAILED) and time.monotonic() < deadline:
        time.sleep(0.2)
        run.refresh_from_db()
    assert run.status == DemoRun.Status.SUCCEEDED, run.error
    line = log_line_with(celery_worker.log_path, f" [{run.task_id}] ")  # the id field, not the message
    assert re.fullmatch(text_line(run.task_id), line), line


# --- Sentry --------------------------------------------------------------------------------------------

def sentry_state(**env: str) -> str:
    code = ("import django; django.setup(); import sentry_sdk; client = sentry_sdk.get_client(); "
            "print(client.is_active(), client.options['send_default_pii'], "
            "sorted(i for i in client.integrations if i in ('django', 'celery')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "quizapp.settings",
                                 "VAR_DIR": str(Path(settings.VAR_DIR) / "sentry"), **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_it_reports_errors_to_sentry_only_when_a_dsn_is_set():
    # A DSN on this machine's port 1: nothing is listening, and nothing is sent while no error happens.
    assert sentry_state(SENTRY_DSN="https://public@127.0.0.1:1/1") == "True False ['celery', 'django']"
    assert sentry_state().startswith("False")
