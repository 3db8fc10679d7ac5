"""Builds the /api/v1 FastAPI app: routers, error shape, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from cbportal.api import (
    accounts,
    affiliates,
    deps,
    email_samples,
    errors,
    offers,
    orders,
    products,
    receipts,
    sandbox,
    subscriptions,
    testing,
    tickets,
)
from cbportal.settings import get_settings

PREFIX = "/api/v1"


def build_api(*, test_mode: bool | None = None) -> FastAPI:
    test_mode = get_settings().test_mode if test_mode is None else test_mode
    api = FastAPI(title="cbportal REST API", version="1.0", openapi_url=f"{PREFIX}/openapi.json",
                  docs_url=f"{PREFIX}/docs", redoc_url=None,
                  dependencies=[Depends(deps.customer_rate_limit, scope="function")])
    errors.install(api)
    for module in (accounts, products, orders, subscriptions, tickets, affiliates, email_samples, offers):
        for route in module.router.routes:
            if isinstance(route, APIRoute) and (PREFIX + route.path).startswith(deps.CUSTOMER_PREFIX):
                route.responses.update(errors.RATE_LIMITED)
        api.include_router(module.router, prefix=PREFIX)
    api.include_router(receipts.router, prefix=PREFIX)   # customers' receipt downloads (not in the schema)
    if test_mode:
        api.include_router(testing.router, prefix=PREFIX)
    if get_settings().payments == "sandbox":  # the sandbox's tokenizer; Stripe's own servers do this in stripe mode
        api.include_router(sandbox.router, prefix=PREFIX)
    return api
