"""Email samples (issue 17 point 4; R4's kinds are a contract): every email kind, ticket
and billing, rendered from one example, and one PDF that holds every kind's subject."""

import io

import pypdf

from cbportal.services.delivery import email_samples, mail
from tests.utils.api import bearer


def _words(text: str) -> str:
    return " ".join(text.split())


def test_r4_every_email_kind_is_rendered_from_one_example(client, shop):
    r = client.get("/api/v1/email-samples", headers=bearer(shop["owner"]))
    assert r.status_code == 200, r.text
    samples = r.json()
    assert [s["kind"] for s in samples] == list(mail.KINDS)
    by_kind = {s["kind"]: s for s in samples}
    assert by_kind["receipt"]["subject"] == "Your receipt K7Q2M9XA"
    assert by_kind["ticket_opened"]["subject"] == ("[Ticket #1] A technical support ticket was opened on order "
                                                   "K7Q2M9XA")
    assert by_kind["ticket_opened"]["to"] == ["jane@example.com", "support@example-vendor.com"]
    assert by_kind["sale_notice"]["to"] == ["owner@example-vendor.com"]
    # One example: the same order, customer and product everywhere.
    assert all("K7Q2M9XA" in s["text"] or s["kind"] in ("invitation", "product_rejected", "mail_in_reply",
                                                                      "my_orders")
               for s in samples)
    assert "Example Pro Membership" in by_kind["rebill_reminder"]["text"]
    assert "I can't find the download link" in by_kind["ticket_opened"]["text"]
    # No sample link is signed for real.
    assert all("sig=example" in s["text"] for s in samples if "sig=" in s["text"])
    assert client.get("/api/v1/email-samples").status_code == 401


def test_the_pdf_holds_every_kinds_subject(client, shop):
    r = client.get("/api/v1/email-samples.pdf", headers=bearer(shop["owner"]))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="cbportal-email-samples.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) >= 1 + len(mail.KINDS)
    text = _words(" ".join(page.extract_text() for page in reader.pages))
    samples = email_samples.samples()
    missing = [s["kind"] for s in samples if _words(s["subject"]) not in text]
    assert missing == []
    assert all(s["label"] in text for s in samples)
