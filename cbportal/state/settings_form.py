"""The Settings page's form both ways (state/settings.py): the values it shows from the
account's view, the changes it sends from what was typed, the holiday-calendar choices and
the INS delivery log's rows. Plain functions and row shapes: no page state."""

from __future__ import annotations

from typing import TypedDict

NONE = "none"  # the select's value for "no holiday calendar" / "whole country"
SHOWN = ("time_zone", "customer_service_email", "contact_phone", "contact_url", "reminder_days", "ins_url",
         "account_email")
TYPED = ("time_zone", "customer_service_email", "contact_phone", "contact_url", "ins_url")


class DeliveryRow(TypedDict):
    id: int
    event: str
    created_at: str
    attempts: int
    state: str
    last_result: str
    duration_ms: int


class Choice(TypedDict):
    value: str
    label: str


def choices(pairs, none_label: str) -> list[Choice]:
    """A select's options: "none" first, then each (code, name) as "Name (code)"."""
    return [Choice(value=NONE, label=none_label)] + [
        Choice(value=code, label=f"{name} ({code})") for code, name in pairs]


def shown_values(view: dict) -> dict[str, str]:
    """The stored settings as the form shows them ("" for none)."""
    return {k: "" if view[k] is None else str(view[k]) for k in SHOWN}


def typed_changes(form: dict) -> dict:
    """The form as typed, for the services to check (time zone, email, 0-60 days, URL); the INS
    secret only when one was typed (empty keeps the stored one)."""
    days = str(form.get("reminder_days", "")).strip()
    changes = {name: str(form.get(name, "")).strip() or None for name in TYPED}
    changes["reminder_days"] = int(days) if days.isdigit() else days
    if str(form.get("ins_secret", "")).strip():
        changes["ins_secret"] = str(form["ins_secret"]).strip()[:200]
    return changes
