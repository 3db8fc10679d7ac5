"""Fuzzing the REST API against its own OpenAPI (API.md) with schemathesis: for every
operation, generated requests (valid and invalid) must never get a server error, and
every response must match the schema it is documented with (status, content type, body).

Runs in-process over ASGI against the app without the test-mode routes, with a shop,
an order and a ticket already in the database, and the shop owner's key (staff key for
staff routes)."""

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from cbportal.api.app import build_api
from tests.api.conftest import bearer

EXAMPLES = int(os.environ.get("CBPORTAL_FUZZ_EXAMPLES", "50"))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", build_api(test_mode=False))
STAFF_ROUTES = ("/accounts", "/approve", "/reject", "/review")
tally = {"cases": 0, "by_status": {}}


@pytest.fixture
def fuzz_keys(client, staff_key):
    """A shop with a recurring product, an order and an open ticket; returns the keys."""
    owner = client.post("/api/v1/accounts", json={"nickname": "shop", "time_zone": "UTC",
                                                  "account_email": "owner@shop.test"},
                        headers=bearer(staff_key)).json()["owner_api_key"]
    product = {"sku": "PRO", "account": "shop", "title": "Pro", "kind": "digital", "currency": "USD",
               "initial_price_cents": 2995, "commission_initial_pct": 55, "commission_rebill_pct": 55,
               "recurring": {"rebill_price_cents": 995, "frequency": {"unit": "month", "count": 1}, "rebills": 3}}
    client.post("/api/v1/products", json=product, headers=bearer(owner))
    client.post("/api/v1/products/PRO/approve", headers=bearer(staff_key))
    receipt = client.post("/api/v1/orders", json={
        "sku": "PRO", "customer": {"email": "buyer@example.test", "name": "Buyer", "country": "US"},
        "payment": {"type": "card", "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030}}).json()["receipt"]
    client.post("/api/v1/tickets", json={"receipt": receipt, "type": "tech_support"}, headers=bearer(owner))
    return {"owner": owner, "staff": staff_key}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_api_never_errors_and_keeps_its_schema(case, fuzz_keys):
    key = fuzz_keys["staff"] if any(p in case.path for p in STAFF_ROUTES) else fuzz_keys["owner"]
    response = case.call_and_validate(headers=bearer(key), checks=[
        not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance])
    tally["cases"] += 1
    tally["by_status"][str(response.status_code)] = tally["by_status"].get(str(response.status_code), 0) + 1


def teardown_module():
    print("\nschemathesis:", json.dumps(tally, sort_keys=True))
