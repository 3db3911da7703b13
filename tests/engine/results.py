"""Reading a demo's result dict in tests: its summary numbers by key."""

from __future__ import annotations

import time


def summary_values(result: dict) -> dict[str, float | None]:
    return {item["key"]: item["value"] for item in result["summary"]}


def metric(result: dict, key: str) -> float | None:
    return summary_values(result)[key]


def cpu_seconds(call) -> float:
    """CPU seconds the process spent in `call()`, every thread counted: unlike the wall clock, other processes
    on a busy machine hardly change it, so a demo's budget can be checked anywhere."""
    started = time.process_time()
    call()
    return time.process_time() - started
