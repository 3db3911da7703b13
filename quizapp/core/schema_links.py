"""OpenAPI links: which answer's field names the object that other operations take in their path. A
client (and schemathesis's stateful phase) can follow them: start an interview, then answer it."""

from __future__ import annotations

import re

_LINK_NAME = re.compile(r"[^A-Za-z0-9.\-_]+")  # what OpenAPI allows in a link's name

# (operation that creates or returns an object, JSON pointer to its id, path prefix taking that id)
SOURCES = [
    ("/api/interviews/", "post", "/id", "/api/interviews/{interview_id}/"),
    ("/api/interviews/{interview_id}/retake/", "post", "/id", "/api/interviews/{interview_id}/"),
    ("/api/own-cards/", "post", "/id", "/api/own-cards/{id}/"),
    ("/api/demos/{demo_id}/runs/", "post", "/id", "/api/runs/{run_id}/"),
    ("/api/study/reviews/", "post", "/log/id", "/api/study/logs/{id}/"),
    ("/api/study/reviews/", "post", "/card/id", "/api/study/cards/{id}/"),
    ("/api/study/optimizations/", "post", "/id", "/api/study/optimizations/{id}/"),
]


def add_links(result, generator, request, public):
    """A POSTPROCESSING_HOOKS entry: each success answer of a source operation links to every operation
    under the path prefix, passing the id from the answer's body."""
    paths = result["paths"]
    for source_path, source_method, pointer, prefix in SOURCES:
        source = paths.get(source_path, {}).get(source_method)
        if source is None:
            continue
        parameter = prefix[prefix.rindex("{") + 1:prefix.rindex("}")]
        targets = [(path, method) for path in paths if path.startswith(prefix) for method in paths[path]]
        for code, response in source["responses"].items():
            if not code.startswith("2"):
                continue
            links = response.setdefault("links", {})
            for path, method in targets:
                links[_LINK_NAME.sub("_", f"{method}{path}").strip("_")] = {
                    "operationRef": f"#/paths/{_escape(path)}/{method}",
                    "parameters": {parameter: f"$response.body#{pointer}"}}
    return result


def _escape(path: str) -> str:
    """A path as one JSON-pointer segment in a URI fragment (RFC 6901): braces percent-encoded."""
    return path.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D")
