"""Schemathesis against the running app (gunicorn with DEBUG off, behind what a TLS proxy would send, on
the test database), signed in as alice: every operation of the published schema, through the coverage,
fuzzing and stateful phases (following the schema's links). No answer may be a server error, break its
documented schema, carry a status code or a content type the schema does not list."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.db import connections
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from quizapp.accounts.services import api_token_create
from tests import worker
from tests.conftest import GENEROUS_RATE
from tests.core.test_production import production_environment
from tests.factories import make_questions, make_topic
from tests.web_server import free_port, running_gunicorn

CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance"]
# About three minutes on two cores: cases per operation and phase, and steps per stateful scenario.
CONFIG = {
    "workers": 2,
    "generation": {"max-examples": 12, "deterministic": True, "database": "none"},
    "phases": {"examples": {"enabled": False}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
               "stateful": {"enabled": True, "max-steps": 6}},
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    "suppress-health-check": ["all"],  # slow and filtered generation are expected on a shared machine
    "request-timeout": 60,
    "headers": {"X-Forwarded-Proto": "https"},  # as the proxy in front of the app says
}

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def new_api_token(alice):
    """Makes a fresh API token for alice: the one place that knows how tokens are made. A fresh one
    each time, as the fuzzer signs out (POST /api/auth/logout*) as readily as it calls anything else."""

    def make() -> str:
        try:
            return api_token_create(user=alice)[1]
        finally:
            connections.close_all()  # this runs in schemathesis's threads: leave no connection open

    return make


@pytest.fixture
def server(transactional_db, tmp_path):
    """gunicorn serving the test database, with a few questions in it. Its rates are generous: the
    fuzzer's wrong passwords would lock alice's address out, its demo starts would be throttled (a
    started run stays queued, as no worker runs: that is fine here)."""
    make_questions(4, topic=make_topic("basics"))
    make_questions(2, topic=make_topic("cnn"), difficulty=3)
    port = free_port()
    env = production_environment(
        tmp_path, DATABASE_URL=worker.database_url_for_tests(), PORT=str(port), WEB_CONCURRENCY="2",
        GUNICORN_TIMEOUT="60",
        API_THROTTLE_ANON=GENEROUS_RATE, API_THROTTLE_USER=GENEROUS_RATE, API_THROTTLE_LOGIN=GENEROUS_RATE,
        DEMO_RUNS_PER_MINUTE="1000000", AXES_FAILURE_LIMIT="1000000",
        **({"REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else {}))
    with running_gunicorn(env, tmp_path / "gunicorn.log"):
        yield f"http://127.0.0.1:{port}"


def run_schemathesis(url: str, new_token) -> tuple[Counter, list[str]]:
    """Cases per phase, and one line per failed check or engine error."""
    schema = schemathesis.openapi.from_url(url, config=SchemathesisConfig.from_dict(CONFIG))

    @schema.auth()  # asked again whenever an answer is 401 (a token signed out)
    class AliceToken:
        def get(self, case, context):
            return new_token()

        def set(self, case, token, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}

    cases, problems = Counter(), []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            cases[str(event.phase)] += len(event.recorder.cases)
            problems += [f"{_operation(event, case_id)}: {check.name}: {check.failure_info.failure.title}"
                         for case_id, checks in event.recorder.checks.items() for check in checks
                         if check.status == Status.FAILURE]
        elif isinstance(event, events.NonFatalError):
            problems.append(f"{event.label}: {event.info.title}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return cases, problems


def _operation(event, case_id: str) -> str:
    """The operation and the status it answered, for a failed check: a stateful scenario's own label is None."""
    node, interaction = event.recorder.cases.get(case_id), event.recorder.interactions.get(case_id)
    operation = node.value.operation.label if node is not None else event.label
    status = interaction.response.status_code if interaction is not None and interaction.response else "no answer"
    return f"{operation} answered {status}"


def test_it_answers_every_operation_as_its_schema_says(server, new_api_token):
    cases, problems = run_schemathesis(f"{server}/api/schema/?format=json", new_api_token)
    print("schemathesis cases per phase:", dict(cases))
    assert set(cases) >= {"coverage", "fuzzing", "stateful"} and all(cases.values()), cases
    assert sorted(set(problems)) == []
