"""The OpenAPI schema's additions: the error answers every API operation can give, added in one
place (drf-spectacular documents a view's success bodies, and only the errors a view lists itself),
and the schema of a PATCH that takes its whole body."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
FIELD_MESSAGES = {"type": "object", "additionalProperties": True,
                  "description": "each refused field (or non_field_errors) with its messages"}
SAFE_METHODS = {"get", "head", "options"}  # no CSRF check on these
# gunicorn refuses a request it cannot parse (a malformed or over-long request line, too many or too large
# header fields) before the app sees it, with a short HTML page: quizapp's own errors are JSON.
SERVER_PAGE = {"type": "string", "description": "gunicorn's HTML error page"}
SERVER_REFUSALS = {"400", "414", "431"}  # the codes gunicorn answers itself


def add_error_responses(result, generator, request, public):
    """A POSTPROCESSING_HOOKS entry: 400 everywhere (any input, the address included, may be bad), 413
    where a JSON body is read, 415 where any body is, 401 where a token may
    be sent, 403 where a login or (for a write) a session's CSRF token is required, 404 where the path
    names an object, 414 and 431 everywhere (a request line or header fields too long for the server, refused
    by gunicorn in HTML, as is a request line it cannot parse: a 400 may be HTML too). A view's own
    description of one of these codes wins."""
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in _errors_of(path, method, operation).items():
                content = {"application/json": {"schema": schema}} if schema else {}
                response = responses.setdefault(code, {"description": description, "content": content})
                if code in SERVER_REFUSALS:  # whoever describes the code, gunicorn may answer it first
                    response["content"] = {**(response.get("content") or content), "text/html": {"schema": SERVER_PAGE}}
    return result


def _errors_of(path: str, method: str, operation: dict) -> dict[str, tuple[str, dict | None]]:
    security = operation.get("security", [])
    # quizapp.core.bad_address refuses a NUL or non-UTF-8 text in any address or query.
    errors = {"400": ("invalid input, field by field; or an address or query holding a NUL or text that is "
                      "not UTF-8", FIELD_MESSAGES)}
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        errors["413"] = ("the body (JSON or form) is larger than the server takes (JSON_BODY_MAX_BYTES)", DETAIL)
    if "requestBody" in operation:
        errors["415"] = ("a body in a media type the operation does not read (see its request body)", DETAIL)
    if security:
        errors["401"] = ("not logged in, or a bad token: send Authorization: Token <key>", DETAIL)
    if security and ({} not in security or method not in SAFE_METHODS):
        errors["403"] = ("refused: a login is needed, or a session request came without its CSRF token", DETAIL)
    if "{" in path:
        errors["404"] = ("no such object, or not yours", DETAIL)
    errors["414"] = ("the address with its query is longer than the server reads (gunicorn's "
                     "limit_request_line)", None)
    errors["431"] = ("more or larger header fields than the server reads (gunicorn's limit_request_fields "
                     "and limit_request_field_size)", None)
    # Every API view is throttled (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES).
    errors["429"] = ("too many requests: retry after the seconds the Retry-After header gives", DETAIL)
    return errors


class WholeBodyPatchSchema(AutoSchema):
    """For a PATCH whose body is whole, not a partial update: drf-spectacular documents every PATCH
    body with its fields optional (a "Patched…" component), DRF's convention, so a client generated
    from the schema would leave out fields the view requires. The body is read as for a PUT."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        method, self.method = self.method, "PUT"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method
