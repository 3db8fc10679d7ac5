"""Transaction search, window and CSV export (issue 5; RULES R8 scoping, R1 figures)."""

from datetime import date

import pytest
from sqlmodel import Session

from cbportal.models import Role, VendorAccount
from cbportal.services.billing import transactions
from cbportal.services.core.errors import Forbidden, Invalid, NotFound
from tests import factories
from tests.utils.billing import buy, move, product, utc


@pytest.fixture
def sales(shop):
    product(shop, "MONTHLY", initial=2995, rebill=995, rate=50)
    product(shop, "EBOOK", initial=1500, rebill=500, rebills=1)
    receipts = [buy(shop, "MONTHLY", utc(2026, 3, d, 12), affiliate="aff") for d in (1, 2, 3)]
    receipts.append(buy(shop, "EBOOK", utc(2026, 3, 10, 12)))
    move(shop, utc(2026, 4, 2))
    return receipts


def search(shop, actor=None, **filters):
    with Session(shop["engine"]) as s:
        return transactions.search(s, actor=actor or shop["owner"], **filters)


def test_search_filters_and_pages_newest_first(shop, sales):
    found = search(shop, page_size=2)
    assert (found["total"], found["pages"]) == (4, 2)
    assert [r["receipt"] for r in found["rows"]] == [sales[3], sales[2]]
    assert [r["receipt"] for r in search(shop, page=2, page_size=2)["rows"]] == [sales[1], sales[0]]
    assert [r["receipt"] for r in search(shop, sku="EBOOK")["rows"]] == [sales[3]]
    assert [r["receipt"] for r in search(shop, sku="ebook")["rows"]] == [sales[3]]     # any case (issue 16)
    assert search(shop, receipt=sales[0].lower())["rows"][0]["receipt"] == sales[0]
    assert search(shop, email="buyer@example.test")["total"] == 4 and search(shop, email="buy")["total"] == 4
    assert search(shop, email="nobody")["total"] == 0
    assert search(shop, date_from=date(2026, 3, 2), date_to=date(2026, 3, 3))["total"] == 2
    with pytest.raises(Invalid):
        search(shop, date_from=date(2026, 3, 3), date_to=date(2026, 3, 2))


def test_r8_search_needs_manage_orders_and_stays_in_the_account(shop, sales):
    now = shop["clock"].now()
    with Session(shop["engine"]) as s:
        acct = s.get(VendorAccount, shop["account_id"])
        tickets_clerk = factories.clerk(s, now, acct, roles=(Role.MANAGE_TICKETS,))
        _, stranger = factories.account(s, now, nickname="stranger", tz="UTC")
        s.commit()
    with pytest.raises(Forbidden):
        search(shop, actor=tickets_clerk)
    assert search(shop, actor=stranger)["total"] == 0
    with pytest.raises(NotFound):
        search(shop, actor=stranger, account="shop")
    with Session(shop["engine"]) as s, pytest.raises(NotFound):
        transactions.window(s, actor=stranger, receipt=sales[0])


def test_window_and_csv_carry_the_r1_split(shop, sales):
    with Session(shop["engine"]) as s:
        view = transactions.window(s, actor=shop["owner"], receipt=sales[0])
        text = transactions.export_csv(s, actor=shop["owner"], sku="MONTHLY")
    assert [b["amount_cents"] for b in view["bills"]] == [2995, 995]
    assert view["tickets"] == [] and view["product_kind"] == "digital"
    lines = text.strip().splitlines()
    assert lines[0].split(",") == transactions.CSV_COLUMNS and len(lines) == 5      # 3 orders and the totals
    first = dict(zip(transactions.CSV_COLUMNS, lines[-2].split(","), strict=False))
    # initial $29.95: net 2670, 50 % commission 1335; rebill $9.95: net 896, commission 448 (R1), in dollars
    assert (first["receipt"], first["created"], first["time_zone"], first["paid"], first["net"],
            first["commission"], first["earnings"]) == (sales[0], "2026-03-01 12:00 UTC", "UTC", "39.90", "35.66",
                                                        "17.83", "17.83")
    total = dict(zip(transactions.CSV_COLUMNS, lines[-1].split(","), strict=False))
    assert (total["receipt"], total["currency"], total["paid"], total["refunded"], total["net"], total["commission"],
            total["earnings"]) == ("Total (3 orders)", "USD", "109.75", "0.00", "98.02", "49.01", "49.01")
    # 3 initial $29.95 + 2 rebills $9.95 (the Mar 3 order rebills after Apr 2): nets 3 x 26.70 + 2 x 8.96
