"""The accounts block of the settings: mail from EMAIL_URL, rates and limits from the environment."""

from __future__ import annotations

import subprocess

import pytest

from tests.core.test_settings import settings_printed

SHOWN = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS", "EMAIL_TIMEOUT",
         "DEFAULT_FROM_EMAIL", "API_TOKENS_PER_USER")


def settings_with(**env) -> subprocess.CompletedProcess:
    return settings_printed(f"{{name: getattr(settings, name) for name in {SHOWN!r}}}",
                            "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']", **env)


def test_it_prints_mail_on_the_console_by_default():
    result = settings_with()
    assert result.returncode == 0, result.stderr
    assert "'EMAIL_BACKEND': 'django.core.mail.backends.console.EmailBackend'" in result.stdout


def test_it_sends_mail_through_the_smtp_server_email_url_names():
    result = settings_with(EMAIL_URL="smtp://mailer:secret@mail.example.org:587/?tls=True",
                           DEFAULT_FROM_EMAIL="trainer@example.org")
    assert result.returncode == 0, result.stderr
    for shown in ("'EMAIL_BACKEND': 'django.core.mail.backends.smtp.EmailBackend'", "'EMAIL_HOST': 'mail.example.org'",
                  "'EMAIL_PORT': 587", "'EMAIL_HOST_USER': 'mailer'", "'EMAIL_USE_TLS': True",
                  "'DEFAULT_FROM_EMAIL': 'trainer@example.org'"):
        assert shown in result.stdout


def test_it_gives_up_on_a_silent_mail_server_after_ten_seconds():
    result = settings_with(EMAIL_URL="smtp://mail.example.org:587/")
    assert result.returncode == 0, result.stderr
    assert "'EMAIL_TIMEOUT': 10" in result.stdout
    result = settings_with(EMAIL_URL="smtp://mail.example.org:587/?timeout=3")
    assert result.returncode == 0, result.stderr
    assert "'EMAIL_TIMEOUT': 3" in result.stdout


def test_it_keeps_ten_api_tokens_per_learner_unless_told_otherwise():
    assert "'API_TOKENS_PER_USER': 10" in settings_with().stdout
    assert "'API_TOKENS_PER_USER': 3" in settings_with(API_TOKENS_PER_USER="3").stdout


def test_it_reads_the_rates_from_the_environment():
    result = settings_with(API_THROTTLE_ANON="5/min", API_THROTTLE_USER="100/hour", SIGNUPS_PER_HOUR="2")
    assert result.returncode == 0, result.stderr
    assert "'anon': '5/min', 'user': '100/hour'" in result.stdout and "'signup': '2/hour'" in result.stdout


@pytest.mark.parametrize(("name", "value"), [
    ("EMAIL_URL", "mail.example.org"), ("API_THROTTLE_ANON", "lots"), ("API_THROTTLE_USER", "60 per minute"),
    ("AXES_FAILURE_LIMIT", "five"), ("API_TOKEN_TTL_HOURS", "a week"), ("TRUSTED_PROXIES", "yes"),
    ("API_TOKENS_PER_USER", "0"),
])
def test_it_names_a_bad_variable(name, value):
    result = settings_with(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr
