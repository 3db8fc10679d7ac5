"""Downloadable receipts for customers (issue 15 point 2): a bill's receipt as a print view
(HTML) or a PDF, opened from the order page by its signed link. These are pages for people,
not part of the REST contract, so they stay out of the OpenAPI schema."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from cbportal.db import get_engine, reader
from cbportal.services.billing import orders, receipt_doc
from cbportal.services.core.errors import NotFound
from cbportal.services.delivery import links
from cbportal.settings import get_settings

router = APIRouter(include_in_schema=False)


def _facts(receipt: str, seq: int, email: str, sig: str) -> dict:
    if not links.check_order_signature(get_settings().secret, receipt, email, sig):
        raise NotFound("no such receipt", "receipt_not_found")
    with reader(get_engine()) as session:
        return receipt_doc.receipt_facts(session, orders.customer_lookup(session, receipt=receipt, email=email), seq)


@router.get("/customer/orders/{receipt}/bills/{seq}/receipt")
def receipt_page(receipt: str, seq: int, email: str = Query("", max_length=254), sig: str = Query("", max_length=64)):
    return HTMLResponse(receipt_doc.to_html(_facts(receipt, seq, email, sig)))


@router.get("/customer/orders/{receipt}/bills/{seq}/receipt.pdf")
def receipt_pdf(receipt: str, seq: int, email: str = Query("", max_length=254), sig: str = Query("", max_length=64)):
    facts = _facts(receipt, seq, email, sig)
    return Response(receipt_doc.to_pdf(facts), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="receipt-{receipt}-{seq}.pdf"'})
