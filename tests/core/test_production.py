"""The production build, served for real: `collectstatic` with DEBUG off into a fresh folder, then
gunicorn (the repository's gunicorn.conf.py) behind what a TLS proxy would send, and the
deployment check with the documented production environment."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests import worker
from tests.factories import PASSWORD
from tests.web_server import free_port, running_gunicorn

ROOT = Path(__file__).resolve().parents[2]
HASHED_ASSET = re.compile(r'(?:src|href)="(/static/[^"]+\.[0-9a-f]{12}\.(?:js|css))"')
A_YEAR = 365 * 24 * 3600


def production_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    """What an operator sets (README): DEBUG off, a long random key, the site's host, the one TLS proxy in
    front (TRUSTED_PROXIES, as compose and .env.example set it); the rest defaults."""
    return {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "quizapp.settings", "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1", "TRUSTED_PROXIES": "1",
            "VAR_DIR": str(var_dir), **extra}


class Visitor:
    """A browser behind the site's TLS proxy: the proxy adds X-Forwarded-Proto: https to each request
    (the cookies are Secure, so they travel only over what the app sees as HTTPS)."""

    def __init__(self, port: int, *, behind_https: bool = True):
        self.port = port
        self.behind_https = behind_https
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[http.client.HTTPResponse, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.behind_https:
            headers["X-Forwarded-Proto"] = "https"
        if body is not None:
            headers |= {"Content-Type": "application/x-www-form-urlencoded",
                        "Origin": f"https://127.0.0.1:{self.port}"}  # what a browser sends with a form
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=urlencode(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        content = response.read().decode(errors="replace")
        conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content

    def get(self, path: str) -> tuple[http.client.HTTPResponse, str]:
        return self.request("GET", path)

    def log_in(self, username: str) -> None:
        _, form = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        response, _ = self.request("POST", "/accounts/login/", {
            "csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
        assert response.status == 302, "the login form did not sign in"


@pytest.fixture(scope="module")
def production_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """collectstatic with DEBUG off into a new STATIC_ROOT, then gunicorn serving it and the test database."""
    var_dir = tmp_path_factory.mktemp("production")
    with django_db_blocker.unblock():
        database_url = worker.database_url_for_tests()
    port = free_port()
    env = production_environment(var_dir, DATABASE_URL=database_url, PORT=str(port), WEB_CONCURRENCY="1",
                                 **({"REDIS_URL": os.environ["REDIS_URL"]} if os.environ.get("REDIS_URL") else {}))
    build = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert (var_dir / "staticfiles" / "staticfiles.json").exists()  # the manifest of hashed names
    with running_gunicorn(env, var_dir / "gunicorn.log"):
        yield port


def assert_served_with_hashed_assets(visitor: Visitor, path: str, *assets: str) -> None:
    response, page = visitor.get(path)
    assert response.status == 200, (path, response.status, page[:500])
    hashed = HASHED_ASSET.findall(page)
    for asset in assets:  # e.g. js/app.js is linked as /static/js/app.<12 hex digits>.js
        stem, suffix = asset.rsplit(".", 1)
        assert any(re.fullmatch(rf"/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix}", url) for url in hashed), \
            (path, asset, hashed)
    for url in hashed:
        response, _ = visitor.get(url)
        assert response.status == 200, url
        cache = response.getheader("Cache-Control")
        assert f"max-age={10 * A_YEAR}" in cache and "immutable" in cache, (url, cache)  # whitenoise's


def test_it_serves_pages_and_their_hashed_assets_from_the_production_build(production_server, alice,
                                                                           transactional_db):
    visitor = Visitor(production_server)
    assert_served_with_hashed_assets(visitor, "/", "js/api.js", "js/app.js", "css/app.css")
    visitor.log_in("alice")
    assert_served_with_hashed_assets(visitor, "/study/", "js/study.js", "css/study.css", "vendor/katex/katex.min.css")
    assert_served_with_hashed_assets(visitor, "/demos/D1/", "js/demos.js", "vendor/chartjs/chart.umd.min.js")


def test_it_keeps_browsers_on_https_behind_the_proxy(production_server):
    response, _ = Visitor(production_server).get("/")
    assert response.status == 200
    # no preload unless the operator asks (SECURE_HSTS_PRELOAD): leaving the browsers' lists takes months
    assert response.getheader("Strict-Transport-Security") == f"max-age={A_YEAR}; includeSubDomains"
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    response, _ = Visitor(production_server, behind_https=False).get("/questions/")
    assert response.status == 301
    assert response.getheader("Location") == f"https://127.0.0.1:{production_server}/questions/"


def test_it_answers_the_container_health_check_over_plain_http(production_server, transactional_db):
    response, body = Visitor(production_server, behind_https=False).get("/healthz")
    assert response.status in (200, 503) and '"status"' in body  # the check itself, not a redirect to HTTPS


def test_it_passes_the_deployment_check_with_the_documented_environment(tmp_path):
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=production_environment(tmp_path), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_warns_at_deployment_when_the_tls_proxy_is_not_trusted(tmp_path):
    """Behind the proxy with TRUSTED_PROXIES=0 every client has the proxy's address: one lockout for all."""
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=production_environment(tmp_path, TRUSTED_PROXIES="0"),
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "(accounts.W001) TRUSTED_PROXIES is 0 while a proxy ends TLS" in result.stdout + result.stderr
