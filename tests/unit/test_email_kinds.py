"""RULES R4: the email kind names are a contract; the code uses exactly them."""

import re
from pathlib import Path

import pytest

from cbportal.services.delivery import mail

# Quoted from RULES R4 (../shared/RULES.md), which the test also reads when it is there.
R4_TICKET = ["ticket_opened", "reply", "ticket_changed", "ticket_closed", "inactivity_warning",
             "refund_confirmation", "cancel_confirmation"]
R4_BILLING = ["receipt", "sale_notice", "rebill_reminder", "rebill_notice", "payment_failed", "card_invalid",
              "subscription_canceled", "subscription_changed"]
RULES = Path(__file__).resolve().parents[3] / "shared" / "RULES.md"


def test_r4_kinds_are_exactly_the_contract():
    assert list(mail.TICKET_KINDS) == R4_TICKET
    assert list(mail.BILLING_KINDS) == R4_BILLING


@pytest.mark.skipif(not RULES.exists(), reason="the shared rules are not beside this checkout")
def test_r4_kinds_match_the_rules_text():
    text = RULES.read_text()
    section = text[text.index("## R4"):text.index("## R5")]
    named = set(re.findall(r"`([a-z_]+)`", section))
    assert set(R4_TICKET) | set(R4_BILLING) == named


def test_an_unknown_kind_is_refused_before_it_reaches_the_outbox():
    with pytest.raises(ValueError, match="subscription_change"):
        mail.queue(None, now=None, kind="subscription_change", to="a@b.test", subject="x")


def test_account_kinds_are_named_and_outside_the_r4_contract():
    """Email to vendors and their users that R4 does not list (an invitation, a rejected
    product with staff's reason): named once, never reusing an R4 name."""
    assert mail.ACCOUNT_KINDS == ("invitation", "product_rejected")
    assert not set(mail.ACCOUNT_KINDS) & set(R4_TICKET + R4_BILLING)
