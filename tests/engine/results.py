"""Reading a demo's result dict in tests: its summary numbers by key."""

from __future__ import annotations


def summary_values(result: dict) -> dict[str, float | None]:
    return {item["key"]: item["value"] for item in result["summary"]}


def metric(result: dict, key: str) -> float | None:
    return summary_values(result)[key]
