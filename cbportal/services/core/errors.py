"""Errors every service raises: a stable snake_case code, a human message and the
HTTP status the API maps it to (API.md "Errors")."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    default_code = "bad_request"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class Unauthorized(ServiceError):
    status, default_code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, default_code = 403, "forbidden"


class NotFound(ServiceError):
    status, default_code = 404, "not_found"


class Conflict(ServiceError):
    status, default_code = 409, "conflict"


class Invalid(ServiceError):
    status, default_code = 422, "invalid_input"


class Unavailable(ServiceError):
    """A service we depend on (the payment processor, the database) did not answer; try again later."""
    status, default_code = 503, "unavailable"
    retry_after = 30
