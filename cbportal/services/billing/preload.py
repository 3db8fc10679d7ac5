"""Loading a batch's rows in a handful of `IN` queries (issue 12 point 1).

The worker's batches (rebills, refunds, ticket processing) read each item's order, bill,
subscription, account, customer, product and payment method. Loading them for the whole
batch first puts them in the session's identity map, so the per-item code's
`session.get` finds them without a statement; rows looked up by another column
(a subscription by its order) come back as dicts.

The identity map holds its rows weakly: a row nobody refers to is dropped and read again
by the next `session.get`. So what is loaded here is also kept (`keep`) in `session.info`
for as long as the session lives.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from cbportal.models import Bill, Customer, Order, PaymentMethod, Product, Subscription, Ticket, VendorAccount

KEPT = "cbportal.preloaded"


def keep(session: Session, loaded):
    """Hold `loaded` (rows, or a dict or list of them) for the session's life; returns it."""
    session.info.setdefault(KEPT, []).append(loaded)
    return loaded


def rows(session: Session, model, ids: Iterable[int | None]) -> dict:
    """`model` rows by primary key, for the ids given (None skipped), in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return keep(session, {row.id: row for row in session.exec(select(model).where(model.id.in_(wanted)))})


def subscriptions_of(session: Session, order_ids: Iterable[int]) -> dict[int, Subscription]:
    """The subscription of each order (by order id), in one query."""
    wanted = set(order_ids)
    if not wanted:
        return {}
    return keep(session, {s.order_id: s for s in
                          session.exec(select(Subscription).where(Subscription.order_id.in_(wanted)))})


def order_parties(session: Session, orders: Iterable[Order]) -> None:
    """Each order's account, customer, product and payment method into the identity map."""
    orders = list(orders)
    rows(session, VendorAccount, (o.account_id for o in orders))
    rows(session, Customer, (o.customer_id for o in orders))
    rows(session, Product, (o.product_id for o in orders))
    rows(session, PaymentMethod, (o.payment_method_id for o in orders))


def bills_of_orders(session: Session, order_ids: Iterable[int]) -> dict[int, list[Bill]]:
    """Every bill of each order (by order id, in `seq` order), in one query."""
    wanted = set(order_ids)
    found: dict[int, list[Bill]] = {i: [] for i in wanted}
    if wanted:
        for bill in session.exec(select(Bill).where(Bill.order_id.in_(wanted)).order_by(Bill.order_id, Bill.seq)):
            found[bill.order_id].append(bill)
    return keep(session, found)


def tickets(session: Session, ids: Iterable[int | None]) -> dict[int, Ticket]:
    return rows(session, Ticket, ids)
