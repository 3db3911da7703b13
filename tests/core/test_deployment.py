"""Docker cannot run here: check that docker-compose.yml, the Dockerfile and .dockerignore name real
things and keep the deployment's rules, and run the commands the containers run where they can run."""

import fnmatch
import importlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SETTINGS_SOURCE = (ROOT / "quizapp" / "settings.py").read_text()
GUNICORN_SOURCE = (ROOT / "gunicorn.conf.py").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()
APP_SERVICES = [name for name, service in SERVICES.items() if service.get("image", "").startswith("dl-interview")]
ONE_OFF = ["migrate", "precompute"]
LONG_RUNNING = [name for name in APP_SERVICES if name not in ONE_OFF]


def command_words(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


WORKERS = [name for name in APP_SERVICES if command_words(SERVICES[name])[:4] == ["celery", "-A", "quizapp", "worker"]]


def option(words: list[str], name: str) -> str:
    for index, word in enumerate(words):
        if word == name:
            return words[index + 1]
        if word.startswith(f"{name}="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{name} not in {words}")


def image_environment(**extra: str) -> dict[str, str]:
    """What the image sets (Dockerfile ENV) and compose adds, for running a container's command here."""
    return {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "quizapp.settings", "DEBUG": "false",
            "SECRET_KEY": "test-only-" + "x" * 40, "VAR_DIR": str(Path(settings.VAR_DIR) / "deployment"),
            "PORT": "8000", **extra}


def test_it_defines_the_whole_stack():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "precompute", "web", "worker", "optimizer", "exports",
                             "beat", "gpu-worker", "speech"}
    assert SERVICES["gpu-worker"]["profiles"] == ["gpu"]
    devices = SERVICES["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia"


def test_it_migrates_once_before_any_app_service_starts():
    migrate = command_words(SERVICES["migrate"])
    assert "manage.py migrate --no-input" in " ".join(migrate) and "load_corpus" in " ".join(migrate)
    assert SERVICES["migrate"]["restart"] == "no"
    for name in LONG_RUNNING:
        assert SERVICES[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}, name
        assert "migrate" not in " ".join(command_words(SERVICES[name])), f"{name} migrates: replicas would race"
    assert set(SERVICES["migrate"]["depends_on"]) == {"postgres", "redis"}


def test_it_computes_the_default_runs_ahead_once_migrated_without_holding_up_the_web():
    assert command_words(SERVICES["precompute"]) == ["python", "manage.py", "precompute_demos"]
    assert SERVICES["precompute"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert SERVICES["precompute"]["restart"] == "no"
    assert all("precompute" not in SERVICES[name]["depends_on"] for name in LONG_RUNNING)


def test_it_gives_what_computes_a_smaller_share_of_the_cpu_than_the_web():
    web_share = SERVICES["web"].get("cpu_shares", 1024)  # Docker's default weight
    for name in [*WORKERS, "precompute"]:
        assert SERVICES[name]["cpu_shares"] < web_share, name


def test_it_restarts_long_running_services_and_checks_their_health():
    for name in [*LONG_RUNNING, "postgres", "redis"]:
        assert SERVICES[name]["restart"] == "unless-stopped", name
        assert SERVICES[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    for name in WORKERS:
        assert SERVICES[name]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "worker_alive"], name
    assert SERVICES["web"]["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck.py"]
    assert (ROOT / "scripts" / "healthcheck.py").exists()


def test_it_requires_production_settings_and_keeps_them_secure():
    environment = SERVICES["web"]["environment"]
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", environment["SECRET_KEY"]), "SECRET_KEY must be required"
    assert environment["DEBUG"] == "false"
    for name in ("SECURE_COOKIES", "SECURE_SSL_REDIRECT"):
        assert environment[name] == f"${{{name}:-true}}", f"{name} must default to on"
    # Behind the TLS proxy: without it every client shares the proxy's address (lockouts, rate limits).
    assert environment["TRUSTED_PROXIES"] == "${TRUSTED_PROXIES:-1}"
    assert re.search(r"^TRUSTED_PROXIES=1$", (ROOT / ".env.example").read_text(), re.MULTILINE)
    for name in APP_SERVICES:
        assert SERVICES[name]["environment"] == environment, f"{name} runs with other settings than web"
    assert (ROOT / ".env.example").exists() and "SECRET_KEY=" in (ROOT / ".env.example").read_text()


def test_it_reads_every_environment_variable_in_the_settings():
    for name in APP_SERVICES:
        for variable in SERVICES[name]["environment"]:
            assert re.search(rf'"{variable}"', SETTINGS_SOURCE + GUNICORN_SOURCE), f"settings never read {variable}"


def compose_default(value: str) -> str:
    """What compose makes of `${NAME:-default}` parts when NAME is unset (as with .env.example's values)."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def test_it_publishes_the_web_port_only_to_the_proxy_on_the_host_when_it_trusts_a_proxy():
    """With TRUSTED_PROXIES > 0 the app takes the client's address from X-Forwarded-For: a caller that
    reached gunicorn directly would write any address there and escape the throttles and the lockout."""
    trusted = int(compose_default(SERVICES["web"]["environment"]["TRUSTED_PROXIES"]))
    env_example = (ROOT / ".env.example").read_text()
    assert trusted > 0 and int(re.search(r"^TRUSTED_PROXIES=(\d+)$", env_example, re.MULTILINE)[1]) > 0
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            published = compose_default(port if isinstance(port, str) else f"{port['host_ip']}:{port['published']}")
            host_ip = published.rsplit(":", 2)[0] if published.count(":") == 2 else ""
            assert host_ip in ("127.0.0.1", "[::1]"), f"{name} publishes {published} beyond the host's loopback"
    assert SERVICES["web"]["ports"], "the proxy on the host needs web's port"
    assert not re.search(r"^WEB_PORT_BIND=(?!127\.0\.0\.1:)", env_example, re.MULTILINE)


def test_it_names_real_modules_and_management_commands_in_its_commands():
    for name in APP_SERVICES:
        script = " ".join(command_words(SERVICES[name]))
        for command in re.findall(r"manage\.py (\w+)", script + " " + " ".join(SERVICES[name]["healthcheck"].get(
                "test", []))):
            assert command in get_commands(), f"{name}: no management command {command}"
        if script.startswith("gunicorn"):
            module, attribute = script.split()[1].split(":")
            assert callable(getattr(importlib.import_module(module), attribute))
        if script.startswith("celery"):
            assert command_words(SERVICES[name])[1:3] == ["-A", "quizapp"]
            importlib.import_module("quizapp.celery")


def test_it_gives_every_queue_a_worker_and_every_worker_a_known_queue():
    served = {name: set(option(command_words(SERVICES[name]), "-Q").split(",")) for name in WORKERS}
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    routed = {route["queue"] for route in routes.values() if "queue" in route}
    known = {settings.CELERY_TASK_DEFAULT_QUEUE, "gpu", "optimizer"} | routed
    assert set().union(*served.values()) == known
    assert served["worker"] == {"demos"} and served["gpu-worker"] == {"gpu", "demos"}
    assert served["optimizer"] == {"optimizer"} and served["exports"] == {"exports"}  # neither delays a demo
    assert served["speech"] == {"speech"} and SERVICES["speech"]["profiles"] == ["speech"]  # only where asked


def test_it_mounts_the_media_volume_wherever_files_are_stored_or_read():
    """Own cards' images, spoken answers and built Anki decks go through the storage: the web serves them,
    the exports worker reads images and writes decks, the reaper (on the demos worker) and the speech worker
    read or delete them."""
    for name in ("web", "worker", "exports", "speech"):
        assert "media:/app/var/media" in SERVICES[name]["volumes"], name
    assert option(command_words(SERVICES["optimizer"]), "--concurrency") == "1"  # one long fit at a time
    assert settings.CELERY_WORKER_MAX_TASKS_PER_CHILD > 0  # memory a demo leaks is given back now and then
    for name in WORKERS:  # the setting (an environment variable) applies: no command overrides it
        assert not any(word.startswith("--max-tasks-per-child") for word in command_words(SERVICES[name])), name


def test_it_keeps_beats_schedule_where_the_app_user_may_write():
    beat = command_words(SERVICES["beat"])
    assert beat[:4] == ["celery", "-A", "quizapp", "beat"]
    schedule = option(beat, "--schedule")
    assert schedule.startswith("/app/var/") and "chown -R app:app /app/var" in DOCKERFILE
    assert "celerybeat-schedule" in " ".join(SERVICES["beat"]["healthcheck"]["test"])


@pytest.mark.parametrize("service", ["worker", "optimizer", "exports", "beat", "gpu-worker"])
def test_it_passes_celery_only_options_it_accepts(service):
    """click parses every option before it answers --help: a misspelt option fails here as in the container."""
    result = subprocess.run([sys.executable, "-m", *command_words(SERVICES[service]), "--help"], cwd=ROOT,
                            env=image_environment(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_it_has_gunicorn_load_the_app_and_listen_on_every_interface():
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    args = command_words(SERVICES["web"])[1:]
    checked = subprocess.run([gunicorn, "--check-config", *args], cwd=ROOT, env=image_environment(),
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    printed = subprocess.run([gunicorn, "--print-config", *args], cwd=ROOT, env=image_environment(),
                             capture_output=True, text=True, timeout=120)
    assert re.search(r"^bind\s+= \['0\.0\.0\.0:8000'\]", printed.stdout, flags=re.M), printed.stdout


def test_it_runs_the_image_as_a_user_with_a_health_check():
    users = re.findall(r"^USER (\S+)", DOCKERFILE, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*CMD \[\"python\", \"scripts/healthcheck.py\"\]", DOCKERFILE, flags=re.M)
    assert re.search(r'^CMD \["gunicorn", "quizapp.wsgi:application"\]', DOCKERFILE, flags=re.M)
    assert "COPY --from=assets /app/static/vendor static/vendor" in DOCKERFILE


def readme_docker_runs() -> list[list[str]]:
    """The README's `docker run` commands, as words: continued lines joined, comments dropped."""
    readme = (ROOT / "README.md").read_text()
    lines = [line for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
             for line in block.replace("\\\n", " ").splitlines()]
    commands = [shlex.split(line, comments=True) for line in lines]
    return [words for words in commands if words[:2] == ["docker", "run"]]


def test_it_has_the_readmes_worker_containers_check_the_worker_not_the_images_web_health_check():
    workers = [words for words in readme_docker_runs() if "celery" in words and "worker" in words]
    assert len(workers) == 4
    for words in workers:
        docker_options = words[:next(at for at, word in enumerate(words) if word.startswith("dl-interview-trainer"))]
        assert option(docker_options, "--health-cmd") == "python manage.py worker_alive", words


def test_it_copies_only_files_that_exist_into_the_image():
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, flags=re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"


def ignored_by_docker(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or a folder above it decides; "!" re-includes."""
    parts = path.split("/")
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if any(fnmatch.fnmatchcase("/".join(parts[:end]), pattern.lstrip("!")) for end in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


def test_it_leaves_local_state_and_secrets_out_of_the_build_context():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for path in (".venv/bin/python", ".git/HEAD", "var/db.sqlite3", "var/broker/queue/x.msg", "node_modules/x",
                 "static/vendor/katex/katex.min.js", "quizapp/__pycache__/settings.cpython-311.pyc", ".env",
                 ".env.production", "tests/e2e/screenshots/study.png"):
        assert ignored_by_docker(path, patterns), f"{path} would be copied into the image"
    for path in ("manage.py", "requirements.txt", "gunicorn.conf.py", "scripts/healthcheck.py", ".env.example",
                 "quizapp/settings.py", "static/css/app.css", "locale/zh_Hans/LC_MESSAGES/django.po"):
        assert not ignored_by_docker(path, patterns), f"{path} is needed in the image"


def compose_tool() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


@pytest.mark.skipif(compose_tool() is None, reason="no docker-compose here (apt-get install docker-compose)")
def test_it_passes_docker_composes_check_and_requires_a_secret_key(tmp_path):
    """`config` validates against Compose's schema without an engine; run where no .env is (tmp_path)."""
    tool = [*compose_tool(), "--project-directory", str(tmp_path), "-f", str(ROOT / "docker-compose.yml")]
    base = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    valid = subprocess.run([*tool, "config", "-q"], env={**base, "SECRET_KEY": "x" * 50}, capture_output=True,
                           text=True, timeout=60)
    assert valid.returncode == 0, valid.stderr
    refused = subprocess.run([*tool, "config", "-q"], env=base, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "set SECRET_KEY in .env" in refused.stderr


def test_it_refuses_to_start_the_app_in_production_without_a_secret_key():
    environment = image_environment()
    del environment["SECRET_KEY"]
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr
