"""The application's one error vocabulary.

A service raises an `AppError` subclass that says what went wrong in the caller's terms, and carries
the HTTP status it means. The API views do not catch them: `api_exception_handler` (REST_FRAMEWORK's
EXCEPTION_HANDLER) turns every one into the same response shape, and maps the engine's `ParamError`
once. HTML views catch `AppError` where they show the message on a form.

Shapes on the wire (DRF's own, so a client reads one format):
- 400: {field: [message, ...], ...}, or {"detail": message} when no field is to blame;
- every other status: {"detail": message, **extra}, with Retry-After on 429 and 503.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import Http404
from django.utils.translation import gettext_lazy as _


class AppError(Exception):
    """Base of every error a service raises for its caller to show; `status` is its HTTP meaning."""

    status: ClassVar[int] = 400
    default_detail: ClassVar[str] = _("The request cannot be carried out.")

    def __init__(self, detail: str | None = None, *, fields: dict[str, list[str]] | None = None,
                 retry_after: int | None = None, extra: dict[str, Any] | None = None):
        # the default in the language of the request that raised it ("Invalid input." and "Not found." are DRF's words)
        self.detail = str(detail if detail is not None else self.default_detail)
        self.fields = fields or {}
        self.retry_after = retry_after
        self.extra = extra or {}  # more members of the response body, such as the current state
        super().__init__(self.detail if not self.fields else self.fields)

    def body(self) -> dict[str, Any]:
        if self.fields:
            return dict(self.fields)
        return {"detail": self.detail, **self.extra}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}

    def on_form(self, form) -> None:
        """Show the messages on a Django form: each on the field it names, the rest above the form."""
        for field, messages in (self.fields or {None: [self.detail]}).items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)

    def messages(self) -> list[str]:
        """Every message in one list, for a page that shows them above its form."""
        if self.fields:
            return [str(message) for messages in self.fields.values() for message in messages]
        return [self.detail]


class InvalidInput(AppError):
    """400: the input breaks a rule; `fields` names the fields to blame."""

    status = 400
    default_detail = _("Invalid input.")


class NotYours(AppError, Http404):
    """404: it does not exist, or it is someone else's (the two look the same from outside). Also an Http404,
    so an HTML view that lets it through answers the site's 404 page."""

    status = 404
    default_detail = _("Not found.")


class Conflict(AppError):
    """409: the input is valid, but the current state forbids it (changed meanwhile, already done)."""

    status = 409
    default_detail = _("The request conflicts with the current state.")


class TooManyRequests(AppError):
    """429: a limit is reached; retry_after says when to come back."""

    status = 429
    default_detail = _("Too many requests.")


class DependencyDown(AppError):
    """503: a service the request needs (the task queue, the database) is unreachable; nothing was done."""

    status = 503
    default_detail = _("A service this request needs is unavailable.")
