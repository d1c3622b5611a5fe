"""Domain errors raised by services; the API maps them to HTTP in one place (servicedesk/api/exceptions.py)
and the pages show their message."""

from __future__ import annotations

from django.utils.translation import gettext as _


class DomainError(Exception):
    """Base class. `message` is already translated for the active language."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Bad input: `errors` maps field names to lists of messages (HTTP 400)."""

    status_code = 400

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"non_field_errors": [errors]}
        self.errors = errors
        super().__init__("; ".join(m for msgs in errors.values() for m in msgs))


class NotAllowed(DomainError):
    """The actor may see the object but not take this action (HTTP 403)."""

    status_code = 403

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("You are not allowed to do this."))


class InvalidTransition(DomainError):
    """The object is not in a state that allows this step, or a concurrent change won (HTTP 409)."""

    status_code = 409


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Not found."))
