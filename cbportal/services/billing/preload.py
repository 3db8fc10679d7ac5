"""Loading a batch's rows in a handful of `IN` queries (issue 12 point 1).

The worker's batches (rebills, refunds, ticket processing) read each item's order, bill,
subscription, account, customer, product and payment method. Loading them for the whole
batch first puts them in the session's identity map, so the per-item code's
`session.get` finds them without a statement; rows looked up by another column
(a subscription by its order) come back as dicts.

The identity map holds its rows weakly: a row nobody refers to is dropped and read again
by the next `session.get`. So what is loaded here is also kept (`keep`) in `session.info`
for as long as the session lives.

Rows found by another column than their key (an order's bills, a bill's attempts, an
order's subscription, a ticket's comments) are `remember`ed by kind for the batch's
session; the readers (billing/orders.order_view, tickets/mail.compose) ask `remembered`
first and query only what the batch did not load. Only the refund recorder's batch does
this, which changes those rows through the same objects, so what is remembered stays true.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from cbportal.models import (
    Bill,
    Customer,
    Order,
    PaymentAttempt,
    PaymentMethod,
    Product,
    Subscription,
    Ticket,
    TicketComment,
    VendorAccount,
)

KEPT = "cbportal.preloaded"
REMEMBERED = "cbportal.remembered"
MISSING = object()   # `remembered`: this batch did not load that


def remember(session: Session, kind: str, found: dict) -> dict:
    """Remember `found` (key -> rows, every key asked for present) as the batch's `kind`."""
    session.info.setdefault(REMEMBERED, {})[kind] = keep(session, found)
    return found


def remembered(session: Session, kind: str, key):
    """What the batch loaded of `kind` for `key`, or MISSING."""
    return session.info.get(REMEMBERED, {}).get(kind, {}).get(key, MISSING)


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


def grouped(session: Session, column, ids: Iterable[int], *order_by) -> dict[int, list]:
    """The rows whose `column` (e.g. Bill.order_id) is one of `ids`, grouped by it (every id
    present, [] when it has none) in `order_by` order, in one query."""
    wanted = set(ids)
    found: dict[int, list] = {i: [] for i in wanted}
    if wanted:
        for row in session.exec(select(column.class_).where(column.in_(wanted)).order_by(*order_by)):
            found[getattr(row, column.key)].append(row)
    return keep(session, found)


def bills_of_orders(session: Session, order_ids: Iterable[int]) -> dict[int, list[Bill]]:
    """Every bill of each order (by order id, in `seq` order), in one query."""
    return grouped(session, Bill.order_id, order_ids, Bill.seq)


def tickets(session: Session, ids: Iterable[int | None]) -> dict[int, Ticket]:
    return rows(session, Ticket, ids)


def attempts_of_bills(session: Session, bill_ids: Iterable[int]) -> dict[int, list[PaymentAttempt]]:
    """Every payment attempt of each bill (by bill id, in time order), in one query."""
    return grouped(session, PaymentAttempt.bill_id, bill_ids, PaymentAttempt.at, PaymentAttempt.id)


def comments_of_tickets(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[TicketComment]]:
    """Every comment of each ticket (by ticket id, in thread order), in one query."""
    return grouped(session, TicketComment.ticket_id, ticket_ids, TicketComment.at, TicketComment.id)
