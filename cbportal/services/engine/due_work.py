"""Every source of due work, in one explicit list, and the lane each one runs in.

Lanes are independent loops of the worker (services/engine/worker.py), each with its own thread,
so a slow lane never holds up another: refunds and tickets, rebills and dunning, email
delivery, INS delivery. Within one instant the sources run in this order (advance of the
test clock, R2); email last, as it sends what the others wrote.

Adding a source is one line here (its module imports nothing of the worker), e.g.
    DueSource("checkout_reconcile", checkout_reconcile.next_due, checkout_reconcile.run_due, lane="billing"),
"""

from __future__ import annotations

from cbportal.services.billing import charges as billing
from cbportal.services.billing import initial_charges
from cbportal.services.delivery import ins, mail
from cbportal.services.engine.due import DueSource
from cbportal.services.tickets import processing as ticket_processing

SOURCES: list[DueSource] = [
    DueSource("billing", billing.next_due, billing.run_due, lane="billing"),
    DueSource("initial_charges", initial_charges.next_due, initial_charges.run_due, lane="billing"),
    DueSource("ins", ins.next_due, ins.run_due, lane="ins"),
    DueSource("tickets", ticket_processing.next_due, ticket_processing.run_due, lane="tickets"),
    DueSource("email", mail.next_due, mail.run_due, lane="email"),
]
