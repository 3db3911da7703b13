"""The error answers every API operation can give, added to the OpenAPI schema in one place:
drf-spectacular documents a view's success bodies, and only the errors a view lists itself."""

from __future__ import annotations

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
FIELD_MESSAGES = {"type": "object", "additionalProperties": True,
                  "description": "each refused field (or non_field_errors) with its messages"}


def add_error_responses(result, generator, request, public):
    """A POSTPROCESSING_HOOKS entry: 400 where the client sends input, 401 where a token may be sent,
    403 where a login is required, 404 where the path names an object. A view's own description of
    one of these codes wins."""
    for path, operations in result["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in _errors_of(path, operation).items():
                responses.setdefault(code, {"description": description,
                                            "content": {"application/json": {"schema": schema}}})
    return result


def _errors_of(path: str, operation: dict) -> dict[str, tuple[str, dict]]:
    security = operation.get("security", [])
    errors = {}
    if "requestBody" in operation or any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
        errors["400"] = ("invalid input, field by field", FIELD_MESSAGES)
    if security:
        errors["401"] = ("not logged in, or a bad token: send Authorization: Token <key>", DETAIL)
    if security and {} not in security:
        errors["403"] = ("refused: a session request without its CSRF token", DETAIL)
    if "{" in path:
        errors["404"] = ("no such object, or not yours", DETAIL)
    return errors
