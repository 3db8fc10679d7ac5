"""The live dashboard's data (issue 5): open tickets with filters and search, saved-sales
figures, and the change feed that wakes open dashboards, on SQLite and PostgreSQL."""

import asyncio
from datetime import timedelta

import pendulum
import pytest

from cbportal.models import Opener, Role
from cbportal.services.core.errors import Forbidden, Invalid, NotFound
from cbportal.services.tickets import board as ticket_board
from cbportal.services.tickets import lifecycle as tickets
from cbportal.services.tickets import processing as tp
from cbportal.services.tickets.board import BoardFilter
from cbportal.services.tickets.lifecycle import CUSTOMER, Acting
from cbportal.state.live_feed import ChangeWatcher
from tests import factories

NY = "America/New_York"
WED = pendulum.datetime(2026, 1, 7, 15, tz=NY).in_timezone("UTC")        # Wed 15:00 New York


@pytest.fixture
def shop(session, engine, clock):
    """acme with four orders and globex with one; one open ticket of each kind."""
    clock.set(WED)
    acct, owner = factories.account(session, WED)
    other, other_owner = factories.account(session, WED, nickname="globex")
    prod = factories.product(session, WED, owner, acct)
    other_prod = factories.product(session, WED, other_owner, other, sku="GLX")
    paid = WED - timedelta(days=3)
    orders = [factories.order(session, engine, clock, prod, acct, paid_at=paid, email=f"buyer{i}@example.test")
              for i in range(4)]
    foreign = factories.order(session, engine, clock, other_prod, other, paid_at=paid, email="x@example.test")
    session.commit()
    vendor = Acting(tickets.Party.VENDOR, owner)
    t_refund = tickets.open_ticket(session, now=WED, order=orders[0], type="refund", who=CUSTOMER,
                                   opener=Opener.CUSTOMER)
    t_cancel = tickets.open_ticket(session, now=WED, order=orders[1], type="cancel", who=vendor, opener=Opener.VENDOR)
    t_support = tickets.open_ticket(session, now=WED, order=orders[2], type="tech_support", who=CUSTOMER,
                                    opener=Opener.CUSTOMER)
    tickets.open_ticket(session, now=WED, order=foreign, type="refund", who=CUSTOMER, opener=Opener.CUSTOMER)
    session.commit()
    return {"owner": owner, "other_owner": other_owner, "acct": acct, "orders": orders, "vendor": vendor,
            "refund": t_refund, "cancel": t_cancel, "support": t_support}


def board(session, actor, **where):
    rows, total = ticket_board.open_tickets(session, actor=actor, now=WED, where=BoardFilter(**where))
    return [r["id"] for r in rows], total


def test_board_lists_own_open_tickets_soonest_first(session, shop):
    ids, total = board(session, shop["owner"])
    # the vendor's cancel processes in 5 minutes, the customer's refund in 24 business hours (R3);
    # tech support has no processing time and comes last; globex's ticket is not shown
    assert ids == [shop["cancel"].id, shop["refund"].id, shop["support"].id]
    assert total == 3


def test_board_filters_type_opener_and_due_within(session, shop):
    assert board(session, shop["owner"], type="refund")[0] == [shop["refund"].id]
    assert board(session, shop["owner"], opener="vendor")[0] == [shop["cancel"].id]
    assert board(session, shop["owner"], due_within_hours=1)[0] == [shop["cancel"].id]
    assert board(session, shop["owner"], due_within_hours=24)[0] == [shop["cancel"].id, shop["refund"].id]


def test_board_search_by_receipt_prefix_or_email(session, shop):
    receipt = shop["orders"][0].receipt
    assert board(session, shop["owner"], search=receipt.lower())[0] == [shop["refund"].id]
    assert board(session, shop["owner"], search="BUYER2@example.test")[0] == [shop["support"].id]
    assert board(session, shop["owner"], search="buyer2")[0] == [shop["support"].id]   # an email's start
    assert board(session, shop["owner"], search="100%")[0] == []                       # wildcards are text
    assert board(session, shop["owner"], search="nobody@example.test") == ([], 0)


def test_board_account_switcher_only_linked_accounts(session, shop):
    assert board(session, shop["owner"], account="acme")[1] == 3
    with pytest.raises(NotFound):
        board(session, shop["owner"], account="globex")      # not linked to acme's master account
    assert board(session, shop["other_owner"])[1] == 1


def test_board_refuses_bad_filters_and_clerks_without_tickets_role(session, shop):
    with pytest.raises(Invalid):
        board(session, shop["owner"], type="everything")
    with pytest.raises(Invalid):
        board(session, shop["owner"], due_within_hours=-1)
    clerk = factories.clerk(session, WED, shop["acct"], roles=(Role.MANAGE_ORDERS,))
    with pytest.raises(Forbidden):
        board(session, clerk)
    with pytest.raises(Forbidden):
        ticket_board.saved_sales(session, actor=clerk, now=WED)


def test_saved_sales_closed_or_converted_vs_processed(session, engine, shop):
    owner, vendor = shop["owner"], shop["vendor"]
    # the customer's refund request is converted to tech support with the customer's consent: saved
    tickets.change_type(session, now=WED, ticket=shop["refund"], who=vendor, type="tech_support",
                        customer_consent=True)
    session.commit()
    # the vendor's own cancel processes after 5 minutes: processed
    tp.process_due_tickets(engine, WED + timedelta(minutes=6))
    # a new refund request that the customer closes: saved
    t = tickets.open_ticket(session, now=WED, order=shop["orders"][3], type="refund", who=CUSTOMER,
                            opener=Opener.CUSTOMER)
    session.commit()
    tickets.close(session, now=WED + timedelta(minutes=7), ticket=t, who=CUSTOMER)
    session.commit()
    figures = ticket_board.saved_sales(session, actor=owner, now=WED + timedelta(hours=1))
    assert figures == {"saved": 2, "converted": 1, "processed": 1, "rate": 67, "days": 30}
    # 31 days later, all of it is outside the 30-day window
    later = ticket_board.saved_sales(session, actor=owner, now=WED + timedelta(days=31))
    assert (later["saved"], later["processed"], later["rate"]) == (0, 0, 0)


def test_change_feed_wakes_the_changed_account_only(session, engine, shop):
    """Every ticket change writes an audit row; the watcher turns it into a version bump."""
    async def scenario():
        watcher = ChangeWatcher(lambda: engine, poll_seconds=0.02)
        acme, globex = shop["acct"].id, shop["acct"].id + 1
        seen = watcher.version([acme])
        assert await watcher.wait_changed([acme], seen, timeout=0.1) is False   # nothing happened
        tickets.reply(session, now=WED, ticket=shop["support"], who=shop["vendor"], body="Try this.")
        session.commit()
        assert await watcher.wait_changed([acme], seen, timeout=5) is True
        assert watcher.version([globex]) == 0
        # the worker's inactivity close (another process in production) is a change too
        seen = watcher.version([acme])
        tp.process_inactivity(engine, WED + timedelta(days=30))
        assert await watcher.wait_changed([acme], seen, timeout=5) is True
        watcher._task.cancel()

    asyncio.run(scenario())


def test_change_feed_catches_an_id_committed_late():
    """A transaction that took id 4 but committed after id 5 still wakes its account, once."""
    watcher = ChangeWatcher(lambda: None, settle_seconds=10)
    watcher._take([(5, 1)], now=100.0)
    assert (watcher.version([1]), watcher.version([2])) == (1, 0)
    watcher._take([(4, 2), (5, 1)], now=101.0)       # re-read from the settled low-water mark
    assert (watcher.version([1]), watcher.version([2])) == (1, 1)
    watcher._take([(4, 2), (5, 1)], now=120.0)       # past the settle window: the mark moves up
    assert watcher._low == 5 and watcher._seen == {}
    assert (watcher.version([1]), watcher.version([2])) == (1, 1)


def test_change_feed_starts_one_reader_for_many_dashboards(engine):
    async def scenario():
        watcher = ChangeWatcher(lambda: engine, poll_seconds=0.02)
        await asyncio.gather(*(watcher.start() for _ in range(5)))
        tasks = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "ChangeWatcher._run"]
        assert len(tasks) == 1
        watcher._task.cancel()

    asyncio.run(scenario())


def test_board_limit_is_bounded(session, shop):
    rows, total = ticket_board.open_tickets(session, actor=shop["owner"], now=WED, limit=2)
    assert (len(rows), total) == (2, 3)
    rows, _ = ticket_board.open_tickets(session, actor=shop["owner"], now=WED, limit=10**9)
    assert len(rows) == 3          # capped at MAX_SHOWN, which is above 3


def test_board_search_finds_any_part_of_an_email_or_name(session, shop):
    """Issue 16: "schmidt" finds anna.schmidt@… and "Anna Schmidt" (trigram index on both databases;
    SQLite's is kept by triggers, so a changed name is found at once)."""
    from cbportal.models import Customer

    customer = session.get(Customer, shop["orders"][2].customer_id)
    customer.email, customer.name = "anna.schmidt@example.test", "Anna Schmidt"
    session.add(customer)
    session.commit()
    assert board(session, shop["owner"], search="schmidt")[0] == [shop["support"].id]
    assert board(session, shop["owner"], search="SCHMIDT")[0] == [shop["support"].id]
    assert board(session, shop["owner"], search="na Sch")[0] == [shop["support"].id]    # across the space in the name
    assert board(session, shop["owner"], search="uyer0@exa")[0] == [shop["refund"].id]
    assert board(session, shop["owner"], search="an")[0] == [shop["support"].id]         # short: the start of a name
    assert board(session, shop["owner"], search="50%_")[0] == []                        # wildcards are text


def test_waiting_on_is_who_must_act_next(session, shop):
    rows, _ = ticket_board.open_tickets(session, actor=shop["owner"], now=WED)
    waiting = {r["id"]: r["waiting_on"] for r in rows}
    # the customer opened the support ticket and wrote last: it waits on the vendor
    assert waiting[shop["support"].id] == "you"
    tickets.reply(session, now=WED + timedelta(minutes=1), ticket=shop["support"], who=shop["vendor"], body="Hi")
    session.commit()
    rows, _ = ticket_board.open_tickets(session, actor=shop["owner"], now=WED)
    assert {r["id"]: r["waiting_on"] for r in rows}[shop["support"].id] == "the customer"


def test_mine_shows_only_tickets_assigned_to_me(session, shop):
    from cbportal.services.tickets import desk as ticket_desk

    assert board(session, shop["owner"], mine_user_id=shop["owner"].user_id) == ([], 0)
    ticket_desk.assign(session, now=WED, actor=shop["owner"], ticket_id=shop["refund"].id,
                       user_id=shop["owner"].user_id)
    session.commit()
    assert board(session, shop["owner"], mine_user_id=shop["owner"].user_id) == ([shop["refund"].id], 1)
