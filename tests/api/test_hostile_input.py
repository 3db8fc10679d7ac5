"""Hostile input over HTTP (API.md "Errors": never 500 for bad input), each test first
reproducing an attack from the issue "Hostile input and abuse", on SQLite and PostgreSQL
(which refuses NUL bytes in text)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email import message_from_bytes

from sqlalchemy import event
from sqlmodel import Session, select

from cbportal import db
from cbportal.models import EmailOutbox, VendorAccount
from cbportal.services.delivery import mail
from tests.utils.api import VISA, bearer, order


def assert_invalid(r, code=None):
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code


# --- NUL bytes and bad strings (point 5) --------------------------------------------------

def test_nul_bytes_are_422_on_every_route_the_attack_used(client, staff_key, shop):
    owner = shop["owner"]
    receipt = order(client).json()["receipt"]
    box = order(client, sku="BOX", shipping_address={"name": "B", "line1": "1 Main St", "city": "X",
                                                     "postal_code": "1", "country": "US"}).json()["receipt"]
    attacks = [
        ("POST", "/customer/orders/lookup", {"receipt": "A\x00B", "email": "buyer@example.test"}, None),
        ("POST", "/customer/orders/lookup", {"receipt": receipt, "email": "buyer@exa\x00mple.test"}, None),
        ("POST", "/orders", {"sku": "PRO",
                             "customer": {"email": "b@example.test", "name": "Bu\x00yer", "country": "US"},
                             "payment": VISA}, None),
        ("POST", "/tickets", {"receipt": receipt, "type": "tech_support", "comment": "hi\x00there"}, owner),
        ("GET", "/orders/A%00B", None, owner),
        ("GET", "/products/A%00B", None, owner),
        ("POST", "/products/A%00B/approve", None, staff_key),
        ("POST", "/products", {"sku": "NUL", "account": "shop", "title": "T", "description": "d\x00",
                               "kind": "digital", "currency": "USD", "initial_price_cents": 100,
                               "commission_initial_pct": 10}, owner),
        ("PUT", f"/orders/{box}/shipping-address", {"name": "N\x00", "line1": "1", "city": "C",
                                                     "postal_code": "1", "country": "US"}, owner),
        ("POST", "/accounts", {"nickname": "ev\x00il", "account_email": "e@evil.test"}, staff_key),
        ("POST", "/accounts/shop/settings", {"reminder_days": 9, "ins_secret": "s\x00"}, owner),
        ("POST", "/customer/tickets", {"receipt": receipt, "email": "buyer@example.test", "type": "tech_support",
                                       "comment": "\x00"}, None),
    ]
    for method, path, body, key in attacks:
        r = client.request(method, f"/api/v1{path}", json=body, headers=bearer(key) if key else {})
        assert_invalid(r)
    settings = client.get(f"/api/v1/orders/{receipt}", headers=bearer(owner))
    assert settings.status_code == 200
    with Session(db.get_engine()) as s:     # the settings call with a NUL changed nothing (point 1)
        assert s.exec(select(VendorAccount).where(VendorAccount.nickname == "shop")).one().reminder_days != 9


def test_line_breaks_in_header_bound_fields_and_control_characters_are_422(client, shop):
    product = {"sku": "NL", "account": "shop", "kind": "digital", "currency": "USD", "initial_price_cents": 100,
               "commission_initial_pct": 10}
    r = client.post("/api/v1/products", json={**product, "title": "Pro\r\nBcc: victim@example.test"},
                    headers=bearer(shop["owner"]))
    assert_invalid(r)
    assert r.json()["error"]["message"] == "title: must be a single line (no line breaks)"
    assert_invalid(client.post("/api/v1/orders", json={"sku": "PRO", "payment": VISA, "customer": {
        "email": "b@example.test", "name": "A\nB", "country": "US"}}))
    assert_invalid(client.post("/api/v1/products", json={**product, "title": "bell\x07"},
                               headers=bearer(shop["owner"])))
    assert_invalid(client.post("/api/v1/products", json={**product, "title": "   "}, headers=bearer(shop["owner"])))
    r = client.post("/api/v1/products", json={**product, "title": "  Spaced  ", "description": "two\nlines"},
                    headers=bearer(shop["owner"]))
    assert r.status_code == 201 and (r.json()["title"], r.json()["description"]) == ("Spaced", "two\nlines")


# --- loose values (point 8) ------------------------------------------------------------------

def test_loose_values_are_refused(client, shop):
    owner = shop["owner"]
    receipt = order(client).json()["receipt"]

    def sub(action, body):
        return client.post(f"/api/v1/orders/{receipt}/subscription/{action}", json=body, headers=bearer(owner))

    assert_invalid(sub("change-bill-date", {"date": "9999-12-31"}))
    assert_invalid(sub("change-bill-date", {"date": 20260301}))
    # more than 2 years ahead (the clock is at 2026-01-05)
    assert_invalid(sub("change-bill-date", {"date": "2028-02-06"}), "date_out_of_range")
    assert_invalid(sub("extend", {"periods": "1"}))
    assert_invalid(sub("extend", {"periods": True}))
    assert_invalid(sub("extend", {"periods": 10**30}))
    assert_invalid(sub("change-product", {"sku": "PRO", "prorated_refund": "false"}))
    assert sub("extend", {"periods": 1}).status_code == 200
    assert sub("change-bill-date", {"date": "2026-03-01"}).status_code == 200
    product = {"sku": "BIG", "account": "shop", "title": "Big", "kind": "digital", "currency": "USD",
               "commission_initial_pct": 10}
    assert_invalid(client.post("/api/v1/products", json={**product, "initial_price_cents": 10**30},
                               headers=bearer(owner)))
    assert_invalid(client.post("/api/v1/products", json={**product, "initial_price_cents": "100"},
                               headers=bearer(owner)))
    assert_invalid(client.post("/api/v1/products", json={**product, "initial_price_cents": 1.5}, headers=bearer(owner)))
    assert_invalid(client.post("/api/v1/accounts/shop/settings", json={"reminder_days": "5"}, headers=bearer(owner)))
    assert_invalid(client.get("/api/v1/tickets/99999999999999999999", headers=bearer(owner)))


# --- commit before the response (point 1), database outage (point 9) --------------------------

def test_a_failed_commit_is_an_error_response_never_a_200(client, shop, engine):
    def fail(session):
        raise_if = session.info.get("fail_commit", True)
        if raise_if:
            from sqlalchemy.exc import OperationalError
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(Session, "before_commit", fail)
    try:
        r = client.post("/api/v1/accounts/shop/settings", json={"reminder_days": 9}, headers=bearer(shop["owner"]))
    finally:
        event.remove(Session, "before_commit", fail)
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert r.json()["error"]["code"] == "database_unavailable"
    with Session(engine) as s:
        assert s.exec(select(VendorAccount).where(VendorAccount.nickname == "shop")).one().reminder_days != 9


def test_a_database_outage_is_503_with_retry_after(client, shop):
    receipt = order(client).json()["receipt"]
    db.use_engine(db.make_engine("postgresql+psycopg://postgres@127.0.0.1:1/gone", connect_args={"connect_timeout": 2}))
    for method, path, body, key in [("GET", f"/orders/{receipt}", None, shop["owner"]),
                                    ("POST", "/customer/orders/lookup", {"receipt": receipt, "email": "b@x.test"},
                                     None),
                                    ("POST", "/orders", {"sku": "PRO", "payment": VISA, "customer": {
                                        "email": "b@example.test", "name": "B", "country": "US"}}, None)]:
        r = client.request(method, f"/api/v1{path}", json=body, headers=bearer(key) if key else {})
        assert r.status_code == 503, (path, r.text)
        assert r.headers["Retry-After"] == "5" and r.json()["error"]["code"] == "database_unavailable"


# --- unique keys are the arbiter (point 6) ------------------------------------------------

def test_concurrent_creates_of_one_nickname_give_one_201_and_seven_409(client, staff_key):
    def create(_):
        return client.post("/api/v1/accounts", json={"nickname": "race", "account_email": "o@race.test"},
                           headers=bearer(staff_key))

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(create, range(8)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    assert all(set(r.json()["error"]) == {"code", "message"} for r in responses if r.status_code == 409)


# --- atomic customer limits (point 3) -----------------------------------------------------

def test_fifty_concurrent_wrong_lookups_from_one_address(client, shop):
    from cbportal.services.accounts.ratelimit import ADDRESS_MAX

    def guess(n):
        return client.post("/api/v1/customer/orders/lookup",
                           json={"receipt": f"G{n:05d}", "email": "a@b.test"}).status_code

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(guess, range(50)))
    assert statuses.count(404) == ADDRESS_MAX and statuses.count(429) == 50 - ADDRESS_MAX


def test_guessing_one_receipt_is_limited_per_receipt(client, shop):
    from cbportal.services.accounts.ratelimit import SUBJECT_MAX

    receipt = order(client).json()["receipt"]

    def guess(n):
        return client.post("/api/v1/customer/orders/lookup",
                           json={"receipt": receipt, "email": f"x{n}@b.test"}).status_code

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(guess, range(50)))
    assert statuses.count(404) == SUBJECT_MAX and statuses.count(429) == 50 - SUBJECT_MAX
    right = client.post("/api/v1/customer/orders/lookup", json={"receipt": receipt, "email": "buyer@example.test"})
    assert right.status_code == 429          # the receipt is locked for the window, whoever asks


def test_successful_lookups_do_not_use_up_the_allowance(client, shop):
    receipt = order(client).json()["receipt"]
    for _ in range(40):
        r = client.post("/api/v1/customer/orders/lookup", json={"receipt": receipt, "email": "buyer@example.test"})
        assert r.status_code == 200


# --- a bad title can't wedge the outbox (point 7) ------------------------------------------

def test_a_stored_subject_with_line_breaks_is_still_delivered(engine, tmp_path):
    now = datetime(2026, 1, 5, tzinfo=UTC)
    with Session(engine) as s:
        mail.queue(s, now=now, kind="receipt", to="buyer@example.test",
                   subject="Your receipt for Pro\r\nBcc: victim@example.test")
        s.commit()
    transport = mail.FolderTransport(tmp_path)
    assert mail.deliver_due(engine, now=now, transport=transport) == 1
    [eml] = list(tmp_path.glob("*.eml"))
    message = message_from_bytes(eml.read_bytes())
    assert message["Subject"] == "Your receipt for Pro Bcc: victim@example.test" and message["Bcc"] is None
    with Session(engine) as s:
        assert s.exec(select(EmailOutbox)).one().sent_at is not None
