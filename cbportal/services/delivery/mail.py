"""Email (RULES R4): written to the outbox in the caller's transaction as its kind, template
and parameters (plain JSON values), rendered from Jinja2 templates (text and HTML, user
text escaped) just before delivery to a folder of .eml files or over SMTP, with retries and
backoff so nothing is lost. What was sent is recorded on the row; `bodies` reads any row."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from cbportal.models import EmailOutbox
from cbportal.services.core.input_policy import header_safe

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
MAX_BACKOFF = timedelta(hours=6)
BATCH = 50
CONCURRENCY, PER_DOMAIN = 16, 4   # messages in flight at once, in all and to one recipient domain
CLAIM_LEASE = timedelta(minutes=1)
SMTP_TIMEOUT = 5   # seconds: a dead mail server holds a message this long at most

# Every email kind (RULES R4: the ticket kinds and the billing kinds are a contract;
# the test outbox and the email gallery use exactly these names).
TICKET_KINDS = ("ticket_opened", "reply", "ticket_changed", "ticket_closed", "inactivity_warning",
                "refund_confirmation", "cancel_confirmation")
BILLING_KINDS = ("receipt", "sale_notice", "rebill_reminder", "rebill_notice", "payment_failed", "card_invalid",
                 "subscription_canceled", "subscription_changed")
ACCOUNT_KINDS = ("invitation", "product_rejected")  # to vendors and their users, outside R4
INBOUND_KINDS = ("mail_in_reply",)   # the answer to an email cbportal could not act on (mail_in.py)
CUSTOMER_KINDS = ("my_orders",)      # the signed "my orders" link a customer asks for (issue 15)
KINDS = TICKET_KINDS + BILLING_KINDS + ACCOUNT_KINDS + CUSTOMER_KINDS + INBOUND_KINDS

_html_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
_text_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, keep_trailing_newline=True)


TEMPLATE_NAMES = frozenset(p.stem for p in TEMPLATES.glob("*.txt") if p.with_suffix(".html").exists())


def render(template: str, **context) -> tuple[str, str]:
    """(text, html) of `template`.txt / `template`.html with `context`."""
    text = _text_env.get_template(f"{template}.txt").render(**context)
    html = _html_env.get_template(f"{template}.html").render(**context)
    return text, html


def _check_plain(value, where: str) -> None:
    """Parameters are stored as JSON and rendered later: only values that come back from
    JSON exactly as they went in (text, whole numbers, true/false, none, lists, and
    objects with text keys) are taken, so the email sent is the one the caller meant.
    Instants and dates are passed already written out, money as cents or as text."""
    if value is None or isinstance(value, str) or type(value) in (bool, int):
        return
    if type(value) is list:
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"email parameter {where} has a key {key!r} that is not text")
            _check_plain(item, f"{where}.{key}")
        return
    raise TypeError(f"email parameter {where} is a {type(value).__name__}, which is not stored as it is: "
                    "pass text, a whole number, true/false, none, a list or an object")


def queue(session: Session, *, now: datetime, kind: str, to: str, subject: str, template: str = "base",
          account_id: int | None = None, order_id: int | None = None, ticket_id: int | None = None,
          reply_to: str | None = None, **context) -> EmailOutbox:
    """Write one email to the outbox, in the caller's transaction (R4): its kind, template
    and parameters; it is rendered just before delivery (`bodies`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    if template not in TEMPLATE_NAMES:
        raise ValueError(f"unknown email template {template!r}")
    for key, value in context.items():
        _check_plain(value, key)
    row = EmailOutbox(kind=kind, to_addr=to, subject=subject, template=template, params=context,
                      account_id=account_id, order_id=order_id, ticket_id=ticket_id,
                      created_at=now, next_attempt_at=now, reply_to=reply_to)
    session.add(row)
    return row


def bodies(row: EmailOutbox) -> tuple[str, str]:
    """(text, html) of an outbox email: what was sent once it is delivered (and for rows
    queued before migration 0014), else what will be sent, rendered now."""
    if row.body_text is not None and row.body_html is not None:
        return row.body_text, row.body_html
    return render(row.template or "base", **(row.params or {}))


def backoff(attempts: int) -> timedelta:
    return BACKOFF[attempts - 1] if attempts <= len(BACKOFF) else MAX_BACKOFF


def to_message(row: EmailOutbox, sender: str, rendered: tuple[str, str] | None = None) -> EmailMessage:
    """The message of `row` (its bodies rendered now unless `rendered` gives them)."""
    text, html = rendered or bodies(row)
    message = EmailMessage()
    message["From"] = sender
    # Folded to one line: a stored title with a line break must never wedge the outbox.
    message["To"] = header_safe(row.to_addr)
    message["Subject"] = header_safe(row.subject)
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = make_msgid(idstring=f"cbp{row.id}", domain="cbportal.test")
    message["X-Cbportal-Kind"] = row.kind
    # RFC 3834: every message cbportal sends is automatic, so well-behaved auto-responders
    # (and cbportal's own mail-in) never answer it: no mail loops.
    message["Auto-Submitted"] = "auto-replied" if row.kind in INBOUND_KINDS else "auto-generated"
    if row.reply_to:
        message["Reply-To"] = header_safe(row.reply_to)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class FolderTransport:
    """One .eml file per message under a folder (the laptop default)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, message: EmailMessage, row: EmailOutbox) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{row.created_at:%Y%m%dT%H%M%S}-{row.id:08d}-{row.kind}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(message))
        tmp.replace(self.folder / name)


class SmtpTransport:
    def __init__(self, host: str, port: int, user: str | None = None, password: str | None = None):
        self.host, self.port, self.user, self.password = host, port, user, password

    def send(self, message: EmailMessage, row: EmailOutbox) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT) as smtp:
            if self.user:
                smtp.starttls()
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def transport_from_settings():
    from cbportal.settings import get_settings

    s = get_settings()
    if s.mail == "smtp":
        return SmtpTransport(s.smtp_host, s.smtp_port, s.smtp_user, s.smtp_password)
    return FolderTransport(s.mail_dir)


def next_due(session: Session) -> datetime | None:
    return session.exec(select(EmailOutbox.next_attempt_at).where(EmailOutbox.sent_at.is_(None))
                        .order_by(EmailOutbox.next_attempt_at).limit(1)).first()


def _claim(engine: Engine, now: datetime, limit: int) -> list[EmailOutbox]:
    """Claim up to `limit` due messages in one statement: one more attempt, and a lease
    of a minute (a worker that dies mid-send leaves the message to be sent again then)."""
    due = select(EmailOutbox.id).where(EmailOutbox.sent_at.is_(None), EmailOutbox.next_attempt_at <= now) \
        .order_by(EmailOutbox.next_attempt_at, EmailOutbox.id).limit(limit)
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    with Session(engine, expire_on_commit=False) as session:
        rows = list(session.exec(update(EmailOutbox).where(EmailOutbox.id.in_(due.scalar_subquery()),
                                                           EmailOutbox.sent_at.is_(None))
                                 .values(attempts=EmailOutbox.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
                                 .returning(EmailOutbox)).scalars())
        session.commit()
        for row in rows:
            session.expunge(row)
    return rows


def _domain(row: EmailOutbox) -> str:
    return row.to_addr.rsplit("@", 1)[-1].strip().lower()


def deliver_due(engine: Engine, *, now: datetime, transport=None, sender: str | None = None, clock=None) -> int:
    """Send every outbox email due by `now`, several at once (at most PER_DOMAIN to one
    recipient domain, CONCURRENCY in all: services/delivery/fanout.py). Each is claimed first
    (compare-and-set, so two workers never send the same message at once); `sent_at` is
    the instant of its delivery (`clock`, or `now` when none is given)."""
    from cbportal.services.delivery import fanout
    from cbportal.settings import get_settings

    transport = transport or transport_from_settings()
    sender = sender or get_settings().mail_from

    def instant() -> datetime:
        return max(now, clock.now()) if clock is not None else now

    def send(row: EmailOutbox):
        """Render (in the sending thread, outside every business transaction) and send."""
        try:
            rendered = bodies(row)
            transport.send(to_message(row, sender, rendered), row)
        except Exception as error:  # rendering or delivery failed: keep it, retry after the backoff
            return instant(), f"{type(error).__name__}: {error}"[:2000], None
        return instant(), None, rendered

    def record(got) -> None:
        with Session(engine) as session:
            for row, (at, error, rendered) in got:
                if error is not None:
                    values = {"last_error": error, "next_attempt_at": at + backoff(row.attempts)}
                elif row.body_text is None or row.body_html is None:   # what was sent stays readable
                    values = {"sent_at": at, "last_error": None, "body_text": rendered[0], "body_html": rendered[1]}
                else:
                    values = {"sent_at": at, "last_error": None}
                session.execute(update(EmailOutbox).where(EmailOutbox.id == row.id, EmailOutbox.sent_at.is_(None),
                                                          EmailOutbox.attempts == row.attempts).values(**values))
            session.commit()
        sent[0] += sum(1 for _, (_, error, _) in got if error is None)

    sent = [0]
    fanout.deliver(claim=lambda limit, _full: _claim(engine, instant(), limit), send=send, record=record,
                   destination=_domain, per_destination=PER_DOMAIN, total=CONCURRENCY)
    return sent[0]


def run_due(engine: Engine, now: datetime) -> int:
    """The worker's email source: deliveries stamped with the live worker's clock (services/engine/due.py)."""
    from cbportal.services.engine.due import live_clock

    return deliver_due(engine, now=now, clock=live_clock())
