"""Builds the /api/v1 FastAPI app: routers, error shape, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import FastAPI

from cbportal.api import accounts, errors, orders, products, subscriptions, testing, tickets
from cbportal.settings import get_settings

PREFIX = "/api/v1"


def build_api(*, test_mode: bool | None = None) -> FastAPI:
    test_mode = get_settings().test_mode if test_mode is None else test_mode
    api = FastAPI(title="cbportal REST API", version="1.0", openapi_url=f"{PREFIX}/openapi.json",
                  docs_url=f"{PREFIX}/docs", redoc_url=None)
    errors.install(api)
    for module in (accounts, products, orders, subscriptions, tickets):
        api.include_router(module.router, prefix=PREFIX)
    if test_mode:
        api.include_router(testing.router, prefix=PREFIX)
    return api
