"""A bill's receipt as a document the customer keeps (issue 15 point 2): the same facts as a
print-friendly HTML page and as a PDF (fpdf2). Reached by the signed order link only."""

from __future__ import annotations

from html import escape
from pathlib import Path

from sqlmodel import Session, select

from cbportal.models import Bill, Customer, Order, Product, VendorAccount
from cbportal.services.billing import orders, purchase
from cbportal.services.core.errors import NotFound
from cbportal.services.core.money import format_cents

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")   # Debian's fonts-dejavu-core, when present


def receipt_facts(session: Session, order: Order, seq: int) -> dict:
    """What a receipt for bill `seq` of `order` says."""
    bill = session.exec(select(Bill).where(Bill.order_id == order.id, Bill.seq == seq)).first()
    if bill is None:
        raise NotFound(f"order {order.receipt} has no bill {seq}", "bill_not_found")
    customer = session.get(Customer, order.customer_id)
    account = session.get(VendorAccount, order.account_id)
    product = session.get(Product, order.product_id)
    status = orders.bill_status_words({"status": str(bill.status), "refunded_cents": bill.refunded_cents},
                                      order.currency)
    kind = "First payment" if str(bill.kind) == "initial" else f"Payment {bill.seq}"
    return {
        "title": f"Receipt {order.receipt}-{bill.seq}",
        "rows": [("Receipt number", f"{order.receipt}-{bill.seq}"),
                 ("Date", purchase.day_words(bill.scheduled_date)),
                 ("Product", f"{product.title} ({product.sku})"),
                 ("Payment", kind),
                 ("Amount", format_cents(bill.amount_cents, order.currency)),
                 ("Status", status[:1].upper() + status[1:]),
                 ("Customer", f"{customer.name} <{customer.email}>"),
                 ("Sold by", account.nickname),
                 ("Vendor contact", purchase.contact_words(account))],
    }


def to_html(facts: dict) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts["rows"])
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(facts['title'])}"
            "</title><style>body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em;"
            "color:#1a1a1a}th{text-align:left;color:#555;font-weight:500;padding:.3em 1em .3em 0;vertical-align:top}"
            "td{padding:.3em 0;overflow-wrap:anywhere}@media print{button{display:none}}</style></head><body>"
            f"<h1>{escape(facts['title'])}</h1><table>{rows}</table>"
            "<p><button onclick='window.print()'>Print or save as PDF</button></p></body></html>")


def to_pdf(facts: dict) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(facts["title"])
    pdf.add_page()
    unicode_font = FONT.exists()
    if unicode_font:
        pdf.add_font("body", "", str(FONT))
    family = "body" if unicode_font else "helvetica"

    def clean(text: str) -> str:
        return text if unicode_font else text.encode("latin-1", "replace").decode("latin-1")

    pdf.set_font(family, size=18)
    pdf.cell(0, 12, clean(facts["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, size=11)
    for label, value in facts["rows"]:
        pdf.set_text_color(90, 90, 90)
        pdf.cell(45, 8, clean(label))
        pdf.set_text_color(20, 20, 20)
        pdf.multi_cell(0, 8, clean(value), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
