"""Fuzzing the REST API against its own OpenAPI (API.md) with schemathesis: for every
operation, generated requests (valid and invalid) must never get a server error, and
every response must match the schema it is documented with (status, content type, body).

Runs in-process over ASGI against the app without the test-mode routes, with a shop,
an order and a ticket already in the database, and the shop owner's key (staff key for
staff routes).

Besides what the schema allows, custom strategies (the `flatmap_*` hooks below) put
hostile values into the generated requests: NUL bytes, line breaks, huge strings, huge
and negative numbers, and values of the wrong JSON type, at any leaf of the body and in
the path parameters. Those must be 4xx with the error shape, never 5xx."""

import json
import os
import string

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cbportal.api.app import build_api
from tests.conftest import backends
from tests.utils.api import bearer

EXAMPLES = int(os.environ.get("CBPORTAL_FUZZ_EXAMPLES", "50"))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", build_api(test_mode=False))
STAFF_ROUTES = ("/accounts", "/approve", "/reject", "/review")
tally = {"cases": 0, "by_status": {}}

HOSTILE = st.one_of(
    st.sampled_from(["\x00", "A\x00B", "\x00" * 64, "line\r\nBcc: x@example.test", "\u2028", "\x07\x1b[2J",
                     "9999-12-31", "0000-00-00", "1", "true", "NaN", "%00", "../../etc/passwd"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)
    .map(lambda t: t + "\x00"),
    st.builds(lambda n: "x" * n, st.integers(min_value=1_000, max_value=200_000)),
    st.integers(min_value=2**31, max_value=10**40), st.integers(min_value=-(10**40), max_value=-1),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
    st.lists(st.text(string.printable, max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _leaves(value, path=()):
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from _leaves(value[key], path + (key,))
    else:
        yield path


def _replaced(value, path, new):
    if not path:
        return new
    return {**value, path[0]: _replaced(value[path[0]], path[1:], new)}


@schema.hook
def flatmap_body(context, body):
    """One leaf of a JSON object body (often) replaced by a hostile value."""
    if not isinstance(body, dict) or not body:
        return st.just(body)
    leaves = list(_leaves(body))
    return st.tuples(st.booleans(), st.sampled_from(leaves), HOSTILE).map(
        lambda t: _replaced(body, t[1], t[2]) if t[0] else body)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """A path parameter (often) replaced by a hostile string or number."""
    if not path_parameters:
        return st.just(path_parameters)
    hostile = HOSTILE.filter(lambda v: isinstance(v, (str, int)) and not isinstance(v, bool)).map(str)
    return st.tuples(st.booleans(), st.sampled_from(sorted(path_parameters)), hostile).map(
        lambda t: {**path_parameters, t[1]: t[2]} if t[0] else path_parameters)


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
        "payment": {"type": "card", "card_number": "4242424242424242", "exp_month": 12, "exp_year": 2030},
    }).json()["receipt"]
    client.post("/api/v1/tickets", json={"receipt": receipt, "type": "tech_support"}, headers=bearer(owner))
    return {"owner": owner, "staff": staff_key}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
@pytest.mark.parametrize("engine", backends(), indirect=True)   # PostgreSQL refuses NUL bytes: both
def test_api_never_errors_and_keeps_its_schema(case, fuzz_keys):
    key = fuzz_keys["staff"] if any(p in case.path for p in STAFF_ROUTES) else fuzz_keys["owner"]
    response = case.call_and_validate(headers=bearer(key), checks=[
        not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance])
    assert response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
    tally["cases"] += 1
    tally["by_status"][str(response.status_code)] = tally["by_status"].get(str(response.status_code), 0) + 1


def teardown_module():
    print("\nschemathesis:", json.dumps(tally, sort_keys=True))
