"""The plain row builders of the ticket and Users pages (state/ticket_rows.py,
state/user_rows.py): the words, links and times each page shows, from service results."""

from __future__ import annotations

from datetime import UTC, datetime

from cbportal.state.ticket_rows import customer_fields, desk_fields, ticket_fields
from cbportal.state.user_rows import key_row, user_row, with_role

VIEW = {"type": "refund", "status": "closed", "receipt": "R1", "process_at": None, "process_why": None,
        "refund_status": None, "close_reason": "vendor", "escalated": False, "vendor_closed_or_changed": True,
        "escalation": "", "comments": [{"author": "You", "body": "Hi", "at": "2026-01-05T14:03:59+00:00"}]}


def test_ticket_fields_show_empty_text_for_none_and_minutes_for_times():
    assert ticket_fields(VIEW) == {
        "found": True, "type": "refund", "status": "closed", "receipt": "R1", "process_at": "", "process_why": "",
        "refund_status": "", "close_reason": "vendor",
        "comments": [{"author": "You", "body": "Hi", "at": "2026-01-05 14:03"}]}


def test_customer_fields_name_the_type_status_and_close_reason():
    fields = customer_fields(VIEW, [{"kind": "comment", "author": "You", "body": "Hi", "at": "5 Jan"}])
    assert (fields["type_title"], fields["status_words"], fields["close_words"]) == (
        "Refund request", "Closed", "the vendor closed it")
    assert fields["can_escalate"] is True and fields["escalated"] is False
    assert fields["thread"] == [{"kind": "comment", "author": "You", "body": "Hi", "at": "5 Jan"}]
    assert customer_fields({**VIEW, "escalation": "pending"}, [])["can_escalate"] is False


def test_desk_fields_link_the_customers_other_orders_and_tickets():
    context = {"email": "buyer@example.test", "orders": 3,
               "other_orders": [{"receipt": "R2", "sku": "PRO", "status": "active", "at": "2026-01-02"}],
               "other_tickets": [{"id": 7, "type": "cancel", "status": "open", "at": "2026-01-03"}]}
    fields = desk_fields([], context, [{"id": 4, "name": "Ann"}])
    assert fields["customer"] == {"email": "buyer@example.test", "orders": "3"}
    assert fields["other_orders"] == [{"label": "R2", "text": "PRO · active · 2026-01-02",
                                       "href": "/vendor/orders?receipt=R2"}]
    assert fields["other_tickets"] == [{"label": "#7", "text": "cancel · open · 2026-01-03",
                                        "href": "/vendor/ticket?id=7"}]
    assert fields["assignees"] == [{"id": "4", "name": "Ann"}]


def test_user_rows_say_invited_active_or_deactivated_and_name_the_roles():
    user = {"id": 3, "name": "Bo", "email": "bo@acme.test", "owner": False, "roles": ["manage_tickets"],
            "api_roles": [], "key_prefixes": [], "invited": True, "active": True}
    row = user_row(user)
    assert (row["id"], row["status"], row["roles"], row["keys"]) == ("3", "invited", "Manage Tickets", "no API keys")
    assert user_row({**user, "invited": False})["status"] == "active"
    assert user_row({**user, "active": False, "roles": []})["status"] == "deactivated"
    assert user_row({**user, "roles": []})["roles"] == "no roles"


def test_key_rows_show_the_creation_time_in_the_accounts_zone():
    key = {"id": 9, "name": "desk", "prefix": "cbp_ab", "created_at": datetime(2026, 1, 5, 19, 3, tzinfo=UTC),
           "revoked": False}
    assert key_row(key, "America/New_York")["created"] == "2026-01-05 14:03 EST"


def test_with_role_grants_and_takes_away_sorted():
    assert with_role(["report_access"], "manage_orders", True) == ["manage_orders", "report_access"]
    assert with_role(["manage_orders", "report_access"], "manage_orders", False) == ["report_access"]
    assert with_role(["manage_orders"], "manage_orders", True) == ["manage_orders"]
