"""The API's error shape: `{"error": {"code", "message"}}` for every 4xx (API.md), and
the database's own refusals mapped to what they mean: a unique key already taken is
409, a value the database cannot store is 422, an unreachable or overloaded database is
503 with `Retry-After` (the client should come back; nothing was changed)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from cbportal.services.accounts.ratelimit import TooManyAttempts
from cbportal.services.core.errors import ServiceError

log = logging.getLogger("cbportal.api")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


ERROR_RESPONSES = {status: {"model": ErrorResponse} for status in (401, 403, 404, 409, 422)}
ERROR_RESPONSES[503] = {"model": ErrorResponse, "description": "The database is unavailable; retry later",
                        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}}
DATABASE_RETRY_AFTER = 5
RATE_LIMITED = {429: {"description": "Too many failed lookups from this address",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
                      "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}}}


def error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}}, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError):
        if isinstance(exc, TooManyAttempts):
            return error(exc.status, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)})
        return error(exc.status, exc.code, exc.message)

    @app.exception_handler(sa_exc.IntegrityError)
    async def _integrity(_request: Request, exc: sa_exc.IntegrityError):
        text = str(exc.orig).lower()
        if "unique" in text or "duplicate key" in text:
            return error(409, "already_exists", "that already exists (someone may have just created it)")
        return error(409, "conflict", "that conflicts with the current data; reload and try again")

    @app.exception_handler(sa_exc.DataError)
    async def _data_error(_request: Request, exc: sa_exc.DataError):
        log.info("value refused by the database: %s", type(exc.orig).__name__)
        return error(422, "invalid_input", "a value in the request cannot be stored (bad characters or out of range)")

    async def _database_down(_request: Request, exc: Exception):
        log.warning("database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__)
        return error(503, "database_unavailable", "the service is briefly unavailable; nothing was changed, "
                     "try again shortly", headers={"Retry-After": str(DATABASE_RETRY_AFTER)})

    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError):
        app.add_exception_handler(kind, _database_down)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        msg = str(first.get("msg", "invalid input")).removeprefix("Value error, ")
        message = f"{where}: {msg}" if where else msg
        return error(422, "invalid_input", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400:  # a body that is not JSON: invalid input like any other (API.md)
            return error(422, "invalid_json", f"the request body is not valid JSON: {exc.detail}")
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        return error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unexpected error")
        return error(500, "internal_error", "something went wrong on our side; nothing was changed")
