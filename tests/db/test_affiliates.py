"""Affiliates (issue 17 point 3, R1, R8): an affiliate nickname that is a cbportal account
sees the subscriptions it referred with its commission per bill; a refunded bill's
commission shows as reversed and stops counting; no customer details; Manage Orders."""


import pytest
from sqlmodel import Session, select

from cbportal.models import Opener, Order, Party, Role
from cbportal.services.billing import affiliates
from cbportal.services.core.errors import Forbidden
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets.lifecycle import Acting
from tests import factories
from tests.utils.billing import buy, move, product, utc


@pytest.fixture
def partner(shop):
    with Session(shop["engine"]) as s:
        acct, owner = factories.account(s, shop["clock"].now(), nickname="partner", tz="UTC")
        clerk = factories.clerk(s, shop["clock"].now(), acct, roles=(Role.MANAGE_TICKETS,))
        s.commit()
    return {"owner": owner, "clerk": clerk}


def view(shop, actor, **kw):
    with Session(shop["engine"]) as s:
        return affiliates.referred_subscriptions(s, actor=actor, **kw)


def test_r1_commission_per_bill_and_a_refund_reverses_it(shop, partner):
    product(shop, "PRO12", initial=2995, rebill=995, rebills=11)
    receipt = buy(shop, "PRO12", utc(2026, 1, 15, 10), affiliate="Partner")
    buy(shop, "PRO12", utc(2026, 1, 16, 10), affiliate="nobody")
    move(shop, utc(2026, 3, 20, 9))
    result = view(shop, partner["owner"])
    [sub] = result["subscriptions"]
    assert (sub["receipt"], sub["affiliate"], sub["vendor"], sub["status"]) == (receipt, "partner", "shop", "active")
    assert [(b["seq"], b["commission_cents"], b["commission_status"]) for b in sub["bills"]] == [
        (1, 1469, "earned"), (2, 493, "earned"), (3, 493, "earned")]
    assert result["commission_earned"] == [{"currency": "USD", "cents": 2455}]
    assert "buyer@example.test" not in repr(result) and "Buyer" not in repr(result)
    # The vendor refunds the latest bill (R3: 5 minutes): its commission is reversed.
    with Session(shop["engine"]) as s:
        order = s.exec(select(Order).where(Order.receipt == receipt)).one()
        tickets.open_ticket(s, now=utc(2026, 3, 20, 9), order=order, type="refund",
                            who=Acting(Party.VENDOR, shop["owner"]), opener=Opener.VENDOR)
        s.commit()
    move(shop, utc(2026, 3, 20, 10))
    [sub] = view(shop, partner["owner"])["subscriptions"]
    assert (sub["status"], sub["next_bill_date"]) == ("canceled", None)
    assert [b["commission_status"] for b in sub["bills"]] == ["earned", "earned", "reversed"]
    assert sub["commission_earned_cents"] == 1962


def test_r8_needs_manage_orders_and_shows_only_the_actors_referrals(shop, partner):
    product(shop, "PRO12", initial=2995, rebill=995, rebills=11)
    buy(shop, "PRO12", utc(2026, 1, 15, 10), affiliate="partner")
    with pytest.raises(Forbidden):
        view(shop, partner["clerk"])
    assert view(shop, shop["owner"])["subscriptions"] == []          # the vendor is not the affiliate
    with Session(shop["engine"]) as s:
        staff = factories.staff(s, utc(2026, 1, 20))
        s.commit()
    assert view(shop, staff)["subscriptions"] == []
    assert len(view(shop, staff, account="partner")["subscriptions"]) == 1


def test_the_reports_section_shows_the_referrals_in_words(shop, partner):
    from cbportal.models import User
    from cbportal.services.accounts import auth
    from cbportal.state.affiliate import AffiliateState

    product(shop, "PRO12", initial=2995, rebill=995, rebills=11)
    receipt = buy(shop, "PRO12", utc(2026, 1, 15, 10), affiliate="partner")
    move(shop, utc(2026, 2, 20))
    with Session(shop["engine"]) as s:
        user = s.exec(select(User).where(User.email == "owner@partner.test")).one()
        user.password_hash = auth.hash_password("password-123")
        s.add(user)
        token = auth.login(s, now=utc(2026, 2, 20), email="owner@partner.test", password="password-123")
        s.commit()
    state = AffiliateState(_reflex_internal_init=True)
    state.token = token
    AffiliateState.load_referred.fn(state)
    assert state.referred_error == "" and state.referred_total == "$19.62"
    assert state.referred == [{"receipt": receipt, "product": "PRO12", "vendor": "shop", "status": "active",
                               "next_bill": "2026-03-15", "bills": "2026-01-15 $14.69 earned · 2026-02-15 $4.93 earned",
                               "earned": "$19.62"}]
