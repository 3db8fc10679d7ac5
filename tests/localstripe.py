"""localstripe for tests: a fresh server on a free loopback port, and `confirm_setup`,
which does what Stripe.js does in the browser (confirm a SetupIntent with the card or
IBAN, authenticated by the publishable key only) so server-side tests get a real
PaymentMethod id without the server ever seeing the card."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PUBLISHABLE_KEY = "pk_test_cbportal"
SECRET_KEY = "sk_test_cbportal"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_localstripe():
    port = free_port()
    exe = Path(sys.executable).parent / "localstripe"
    proc = subprocess.Popen([str(exe), "--port", str(port), "--from-scratch"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("localstripe did not start")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture(scope="module")
def localstripe():
    with running_localstripe() as base:
        yield base


def confirm_setup(base: str, client_secret: str, *, card: str | None = None, iban: str | None = None,
                  exp_month: int = 12, exp_year: int = 2030, cvc: str = "123") -> dict:
    """POST /v1/setup_intents/{id}/confirm with the publishable key, as localstripe's Stripe.js does.
    Returns the SetupIntent, or {"error": ...} when the card is refused."""
    seti = client_secret.split("_secret_")[0]
    data = ({"type": "card", "card": {"number": card, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}}
            if card else {"type": "sepa_debit", "sepa_debit": {"iban": iban},
                          "billing_details": {"name": "Erika Mustermann", "email": "erika@example.test"}})
    body = json.dumps({"key": PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret,
                       "payment_method_data": data}).encode()
    request = urllib.request.Request(f"{base}/v1/setup_intents/{seti}/confirm", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def browser_token(gateway, base: str, **details) -> str:
    """The payment method id the page would post: setup on the server, confirm 'in the browser'."""
    kind = "card" if details.get("card") else "elv"
    intent = confirm_setup(base, gateway.setup(kind), **details)
    assert "error" not in intent, intent
    return intent["payment_method"]
