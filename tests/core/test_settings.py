import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def settings_printed(*expressions: str, **env) -> subprocess.CompletedProcess:
    """A fresh process loads the settings with only `env` set and prints each expression on a line."""
    code = "import django; django.setup(); from django.conf import settings; " + "; ".join(
        f"print({expression})" for expression in expressions)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "quizapp.settings",
                               "VAR_DIR": str(ROOT / "var" / "settings-test"), **env})


def load_settings(**env) -> subprocess.CompletedProcess:
    return settings_printed("settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL", **env)


def test_it_defaults_to_sqlite_and_the_file_broker():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]


def test_it_switches_to_postgres_and_redis():
    result = load_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x", REDIS_URL="redis://127.0.0.1:6379/3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "redis://127.0.0.1:6379/3"]


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_URL", "mysql://nope"), ("REDIS_URL", "http://localhost"), ("DEBUG", "maybe"),
    ("CELERY_TASK_TIME_LIMIT", "soon"),
])
def test_it_names_the_bad_variable(name, value):
    result = load_settings(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_it_requires_a_secret_key_in_production():
    result = load_settings(DEBUG="false")
    assert "SECRET_KEY" in result.stderr
