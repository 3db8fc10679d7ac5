"""The ticket state machine (RULES R3) as a pure table: exactly what R3 allows, a named
refusal with a plain sentence for everything else, and no ticket status written
anywhere but through `states.transition`."""

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbportal.models import TicketType
from cbportal.services.core.errors import ServiceError
from cbportal.services.tickets import states
from cbportal.services.tickets.states import TABLE, Event, State, Who

S, E, W = State, Event, Who
PEOPLE = (W.CUSTOMER, W.VENDOR, W.VENDOR_WITHOUT_CONSENT, W.FLAGGED_VENDOR, W.STAFF)
PARTIES_WHO_MAY_CHANGE = (W.CUSTOMER, W.VENDOR, W.STAFF)

# R3 written out entry by entry; the table must be exactly this.
R3 = {
    **{(S.NEW, E.OPEN, w): S.OPEN for w in PARTIES_WHO_MAY_CHANGE},                 # "Opened by"
    **{(s, E.REPLY, w): s for s in (S.OPEN, S.DUE, S.REFUND_PENDING) for w in PEOPLE},
    # "Before process_at either party may close the ticket or change its type; the vendor
    # only with the customer's consent"; "the vendor can no longer close or change" when flagged
    **{(S.OPEN, E.CLOSE, w): S.CLOSED for w in PARTIES_WHO_MAY_CHANGE},
    **{(S.OPEN, E.CHANGE_TYPE, w): S.OPEN for w in PARTIES_WHO_MAY_CHANGE},
    # "Processing at process_at": a refund stays open until the gateway confirms it
    (S.DUE, E.PROCESS, W.SYSTEM): S.CLOSED,
    (S.DUE, E.START_REFUND, W.SYSTEM): S.REFUND_PENDING,
    (S.REFUND_PENDING, E.REFUND_CONFIRMED, W.SYSTEM): S.CLOSED,
    # tech-support inactivity
    (S.OPEN, E.WARN_INACTIVE, W.SYSTEM): S.OPEN,
    (S.OPEN, E.CLOSE_INACTIVE, W.SYSTEM): S.CLOSED,
    # "Escalation": the customer asks; staff uphold or reopen as a refund
    (S.ESCALATABLE, E.ESCALATE, W.CUSTOMER): S.ESCALATED,
    (S.ESCALATED, E.UPHOLD, W.STAFF): S.ESCALATABLE,
    (S.ESCALATED, E.REOPEN_AS_REFUND, W.STAFF): S.ESCALATABLE,
}

triples = st.tuples(st.sampled_from(list(State)), st.sampled_from(list(Event)), st.sampled_from(list(Who)))


def test_r3_the_table_is_exactly_r3():
    assert TABLE == R3
    assert len(TABLE) == 32


@given(triples)
def test_r3_every_triple_moves_or_is_refused_by_name(triple):
    state, event, who = triple
    if triple in TABLE:
        assert states.step(state, event, who, 7) == TABLE[triple]
        return
    refusal = states.refusal(state, event, who)
    assert re.fullmatch(r"[a-z_]+", refusal.name)
    with pytest.raises(refusal.error) as raised:
        states.step(state, event, who, 7)
    assert raised.value.code == refusal.name
    message = raised.value.message
    assert message and "{" not in message and refusal.name not in message    # a sentence, not a code


@given(triples)
def test_refusals_are_service_errors_people_can_read(triple):
    if triple not in TABLE:
        refusal = states.refusal(*triple)
        assert issubclass(refusal.error, ServiceError)
        assert not any(word in refusal.message for word in ("State.", "Event.", "Who.", "None"))


@pytest.mark.parametrize(("state", "who", "code"), [
    (S.CLOSED, W.CUSTOMER, "ticket_closed"),
    (S.DUE, W.CUSTOMER, "ticket_processing"),
    (S.REFUND_PENDING, W.STAFF, "ticket_processing"),
    (S.OPEN, W.VENDOR_WITHOUT_CONSENT, "customer_consent_required"),
    (S.OPEN, W.FLAGGED_VENDOR, "vendor_flagged"),
    (S.OPEN, W.SYSTEM, "people_only"),
])
@pytest.mark.parametrize("event", [E.CLOSE, E.CHANGE_TYPE])
def test_r3_close_and_change_refusals_keep_their_codes(state, who, code, event):
    assert states.refusal(state, event, who).name == code


def test_r3_replies_stop_only_when_closed():
    assert states.refusal(S.CLOSED, E.REPLY, W.VENDOR).name == "ticket_closed"
    assert all((s, E.REPLY, W.FLAGGED_VENDOR) in TABLE for s in (S.OPEN, S.DUE, S.REFUND_PENDING))


def test_r3_only_the_worker_processes():
    for event in (E.PROCESS, E.START_REFUND, E.REFUND_CONFIRMED, E.WARN_INACTIVE, E.CLOSE_INACTIVE):
        for who in PEOPLE:
            assert states.refusal(S.DUE, event, who).name == "worker_only"
    assert states.refusal(S.OPEN, E.PROCESS, W.SYSTEM).name == "ticket_not_due"
    assert states.refusal(S.CLOSED, E.PROCESS, W.SYSTEM).name == "ticket_closed"


def test_r3_escalation_refusals():
    assert states.refusal(S.NOT_ESCALATABLE, E.ESCALATE, W.CUSTOMER).name == "not_escalatable"
    assert states.refusal(S.ESCALATED, E.ESCALATE, W.CUSTOMER).name == "already_escalated"
    assert states.refusal(S.ESCALATABLE, E.UPHOLD, W.STAFF).name == "not_escalated"
    assert states.refusal(S.ESCALATED, E.UPHOLD, W.VENDOR).name == "staff_only"


@pytest.mark.parametrize(("party", "flagged", "consent", "kind", "who"), [
    ("customer", True, False, TicketType.REFUND, W.CUSTOMER),
    ("staff", True, False, TicketType.REFUND, W.STAFF),
    ("vendor", False, True, TicketType.REFUND, W.VENDOR),
    ("vendor", False, False, TicketType.REFUND, W.VENDOR_WITHOUT_CONSENT),
    ("vendor", True, True, TicketType.CANCEL, W.FLAGGED_VENDOR),
    ("vendor", True, True, TicketType.TECH_SUPPORT, W.VENDOR),       # the flag binds refund and cancel only
])
def test_r3_who_a_party_is_in_the_table(party, flagged, consent, kind, who):
    assert states.who_of(party, flagged=flagged, consent=consent, ticket_type=kind) is who


def test_no_ticket_status_is_written_outside_the_state_machine():
    """Every status change goes through states.transition: no other ticket module writes one."""
    folder = Path(states.__file__).parent
    for path in folder.glob("*.py"):
        if path.name == "states.py":
            continue
        source = path.read_text()
        assert '"status": TicketStatus' not in source and "status=TicketStatus" not in source, path.name
        assert ".status = " not in source, path.name
