"""The staff phone-ticket form as typed (StaffPhoneState, state/staff.py): the receipt and
email the caller reads out, and the sentence staff see under each one missing or wrong."""

from __future__ import annotations


def read(form: dict) -> tuple[str, str]:
    """The receipt and the email typed, trimmed to the longest each can be."""
    return str(form.get("receipt", "")).strip()[:32], str(form.get("email", "")).strip()[:254]


def problems(receipt: str, email: str) -> tuple[str, str]:
    """(what is wrong with the receipt, what is wrong with the email); "" for each one that is fine."""
    return ("" if receipt else "Enter the receipt number the caller reads from their receipt.",
            "" if "@" in email[1:-1] else
            "Enter the email address the caller bought with." if not email else
            "This is not an email address; check it with the caller.")
