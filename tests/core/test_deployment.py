"""Docker cannot run here, so check that docker-compose.yml names real things."""

import importlib
import re
import shlex
from pathlib import Path

import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (ROOT / "quizapp" / "settings.py").read_text()


def command_words(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_it_defines_the_whole_stack():
    assert set(COMPOSE["services"]) == {"postgres", "redis", "web", "worker", "gpu-worker"}
    assert COMPOSE["services"]["gpu-worker"]["profiles"] == ["gpu"]
    devices = COMPOSE["services"]["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia"


def test_every_environment_variable_is_read_by_the_settings():
    for name in ("web", "worker", "gpu-worker"):
        for variable in COMPOSE["services"][name]["environment"]:
            assert re.search(rf'"{variable}"', SETTINGS_SOURCE), f"settings never read {variable}"


def test_the_web_command_names_real_modules_and_commands():
    words = command_words(COMPOSE["services"]["web"])
    script = " ".join(words)
    for command in re.findall(r"manage\.py (\w+)", script):
        assert command in get_commands(), f"no management command {command}"
    module, attribute = re.search(r"gunicorn (\S+)", script).group(1).split(":")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_workers_consume_the_queues_demos_are_sent_to():
    cpu = command_words(COMPOSE["services"]["worker"])
    gpu = command_words(COMPOSE["services"]["gpu-worker"])
    for words in (cpu, gpu):
        assert words[:3] == ["celery", "-A", "quizapp"]
        importlib.import_module(words[2])
    assert cpu[cpu.index("-Q") + 1] == "demos"
    assert set(gpu[gpu.index("-Q") + 1].split(",")) == {"gpu", "demos"}


def test_the_dockerfile_copies_files_that_exist():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, flags=re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"Dockerfile copies missing {path}"
    assert "quizapp.wsgi:application" in dockerfile
