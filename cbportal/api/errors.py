"""The API's error shape: `{"error": {"code", "message"}}` for every 4xx (API.md)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from cbportal.services.errors import NotFound, ServiceError
from cbportal.services.ratelimit import TooManyAttempts

log = logging.getLogger("cbportal.api")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


ERROR_RESPONSES = {status: {"model": ErrorResponse} for status in (401, 403, 404, 409, 422)}
RATE_LIMITED = {429: {"description": "Too many failed lookups from this address",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
                      "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}}}


def error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}}, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        from cbportal.api.deps import CUSTOMER_PREFIX, record_customer_failure

        if isinstance(exc, TooManyAttempts):
            return error(exc.status, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)})
        if isinstance(exc, NotFound) and request.url.path.startswith(CUSTOMER_PREFIX):
            await run_in_threadpool(record_customer_failure, request)
        return error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid input')}" if where else first.get("msg", "invalid input")
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
