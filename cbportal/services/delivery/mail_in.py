"""Inbound email (issue 17, docs/inbound-email.md): what cbportal does with a message its
receiver (`cbportal mail-in`, ops/mail_in_server.py) accepted, one recipient at a time.

- A reply to a ticket email (To: the signed `ticket+…` Reply-To, services/mail_addresses)
  becomes a comment by that party, with quoted history and signature stripped
  (`mail-parser-reply`) and attachments listed by name, never opened or stored.
- Mail to an account's legacy `refund+nickname` / `cancel+nickname` address with a
  receipt in it opens that ticket as the customer (R3), when the sender is the order's
  email; otherwise the sender is told how to use the portal.
- Everything else gets a helpful auto-reply, at most `REPLIES_PER_DAY` per sender.
- Automatic mail (Auto-Submitted, bounces, mailer-daemon, mailing lists, Precedence)
  is recorded and ignored: no comment, no reply, so no mail loop.
- Hostile input is refused with an SMTP error (`Refused`): too big, too many or too
  long header lines, NUL bytes, repeated From/Subject, an unreadable sender.

Each recipient is handled in its own transaction, recorded in `inbound_mail` under a
unique digest, so a message delivered twice is acted on once."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from mailparser_reply import EmailReplyParser
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cbportal.models import (
    Customer,
    InboundMail,
    Opener,
    Order,
    Party,
    Role,
    Ticket,
    TicketStatus,
    User,
    VendorAccount,
)
from cbportal.services.accounts import auth, ratelimit
from cbportal.services.core.errors import ServiceError
from cbportal.services.core.input_policy import header_safe
from cbportal.services.delivery import links, mail, mail_addresses
from cbportal.services.tickets import lifecycle as tickets

MAX_BYTES = 5 * 1024 * 1024          # the SMTP receiver refuses bigger messages before this
MAX_HEADER_LINES = 300
MAX_LINE = 998                       # RFC 5322 line limit, in the header block
MAX_RECIPIENTS = 10
MAX_COMMENT = 9_000                  # a comment holds 10,000; room for the attachment list
MAX_ATTACHMENTS_LISTED = 20
REPLIES_PER_DAY = 3                  # auto-replies to one sender per 24 hours
REPLY_WINDOW = timedelta(hours=24)
LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "list-help", "list-owner", "list-subscribe")
AUTO_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+-].*)?@", re.I)
RECEIPT_TOKEN = re.compile(r"\b[A-Za-z0-9]{6,16}\b")
_reply_parser = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl"])


class Refused(Exception):
    """The message is refused at the SMTP level (the sending server bounces it)."""

    def __init__(self, code: int, text: str):
        super().__init__(text)
        self.code, self.text = code, text

    @property
    def smtp_reply(self) -> str:
        return f"{self.code} {self.text}"


@dataclass(frozen=True)
class Inbound:
    """A parsed message: who sent it, what it says (reply only), what it carries."""
    message: EmailMessage
    sender: str                 # the From address, lower case ('' when unusable)
    envelope_sender: str        # MAIL FROM ('' for a bounce)
    subject: str
    text: str                   # the new text: quotes and signature stripped
    full_text: str              # the whole plain text (receipts are looked for here too)
    attachments: tuple[str, ...]
    message_id: str


@dataclass(frozen=True)
class Outcome:
    recipient: str
    outcome: str                # comment, ticket_opened, auto_reply, reply_suppressed, ignored, duplicate
    ticket_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Config:
    secret: str
    domain: str | None
    base_url: str

    @classmethod
    def from_settings(cls) -> Config:
        from cbportal.settings import get_settings

        s = get_settings()
        return cls(secret=s.secret, domain=s.mail_in_domain, base_url=s.base_url)


# --- parsing and refusing ------------------------------------------------------------

def _check_raw(raw: bytes) -> None:
    if len(raw) > MAX_BYTES:
        raise Refused(552, f"5.3.4 Message too big: at most {MAX_BYTES // (1024 * 1024)} MB")
    end = min(i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n"), len(raw)) if i >= 0)
    head = raw[:end]
    if b"\x00" in raw:
        raise Refused(554, "5.6.0 Message refused: it contains NUL bytes")
    lines = head.splitlines()
    if len(lines) > MAX_HEADER_LINES:
        raise Refused(554, f"5.6.0 Message refused: more than {MAX_HEADER_LINES} header lines")
    if any(len(line) > MAX_LINE for line in lines):
        raise Refused(554, f"5.6.0 Message refused: a header line is longer than {MAX_LINE} characters")
    if re.search(rb"\r(?!\n)", head):
        raise Refused(554, "5.6.0 Message refused: a bare carriage return in the headers")


def _clean_text(value: str, limit: int) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    value = value.strip()
    return value if len(value) <= limit else value[:limit].rstrip() + "\n[… the rest of the email was cut]"


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", content)
        content = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", content)
        content = html.unescape(re.sub(r"<[^>]+>", "", content))
    return content


def _attachments(message: EmailMessage) -> tuple[str, ...]:
    """`name (type, size)` of every attachment: listed only, never decoded into files,
    stored or opened."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if not (part.get_content_disposition() == "attachment" or name):
            continue
        payload = part.get_payload(decode=True) or b""
        size = len(payload)
        shown = header_safe(name or "unnamed")[:80] or "unnamed"
        found.append(f"{shown} ({header_safe(part.get_content_type())[:60]}, "
                     f"{max(1, round(size / 1024))} KB)")
    return tuple(found)


def _reply_text(full: str) -> str:
    """The new text of a reply: quoted history and signature stripped."""
    try:
        replies = _reply_parser.read(text=full).replies
    except Exception:  # the parser's regexes on hostile text: fall back to the plain text
        return full
    if not replies:
        return full
    first = replies[0]
    body = (first.body or "").strip()
    if first.headers and not body:   # the message is only a quote
        return ""
    return body


def parse(raw: bytes, *, envelope_sender: str = "") -> Inbound:
    """Parse a message, refusing hostile input (`Refused`)."""
    _check_raw(raw)
    message = BytesParser(policy=policy.default).parsebytes(raw)
    for header in ("from", "subject", "message-id", "auto-submitted"):
        if len(message.get_all(header) or []) > 1:
            raise Refused(554, f"5.6.0 Message refused: more than one {header.title()} header")
    try:
        pairs = getaddresses([str(message.get("from", ""))])
        subject = header_safe(str(message.get("subject", "") or ""))[:300]
        message_id = header_safe(str(message.get("message-id", "") or ""))[:300]
    except Exception:
        raise Refused(554, "5.6.0 Message refused: unreadable headers") from None
    addresses = [addr for _, addr in pairs if addr]
    sender = addresses[0].lower() if len(addresses) == 1 else ""
    if sender and (len(sender) > 254 or not re.fullmatch(r"[^@\s<>,;\"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+", sender)):
        sender = ""
    full = _clean_text(_plain_text(message), 100_000)
    return Inbound(message=message, sender=sender, envelope_sender=(envelope_sender or "").strip("<>").lower(),
                   subject=subject, text=_clean_text(_reply_text(full), MAX_COMMENT), full_text=full,
                   attachments=_attachments(message), message_id=message_id)


def loop_reason(inbound: Inbound) -> str | None:
    """Why the message is automatic (and must not be answered), or None for a person's mail."""
    m = inbound.message
    auto = str(m.get("auto-submitted", "") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto[:40]}"
    if not inbound.envelope_sender:
        return "a bounce (empty envelope sender)"
    for who in (inbound.envelope_sender, inbound.sender):
        if who and AUTO_SENDERS.match(who):
            return f"sent by {who.split('@')[0][:40]}"
    if any(m.get(h) is not None for h in LIST_HEADERS):
        return "mailing-list mail"
    precedence = str(m.get("precedence", "") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if m.get("x-autoreply") is not None or m.get("x-autorespond") is not None:
        return "an auto-reply"
    if m.get_content_type() == "multipart/report":
        return "a delivery report"
    if not inbound.sender:
        return "no single sender address"
    return None


# --- acting on one recipient -----------------------------------------------------------

def _digest(inbound: Inbound, raw: bytes, recipient: str) -> str:
    base = inbound.message_id.encode() if inbound.message_id else raw
    return hashlib.sha256(base + b"\x00" + recipient.lower().encode()).hexdigest()


def _portal_lines(config: Config) -> list[str]:
    return [f"Find your order, open a support, refund or cancelation request and follow it at "
            f"{config.base_url}/portal with your receipt number and the email address you bought with.",
            "Every email about a ticket has a link to it, and you can answer that email directly."]


def _auto_reply(session: Session, *, now: datetime, inbound: Inbound, config: Config, why: str,
                lines: list[str], account_id: int | None = None, ticket_id: int | None = None) -> str:
    """Queue a helpful answer unless this sender already had `REPLIES_PER_DAY` today."""
    to = inbound.envelope_sender if "@" in inbound.envelope_sender else inbound.sender
    counter = ratelimit.locked_counter(session, f"mail-in-reply:{to}", now)
    if counter.window_start + REPLY_WINDOW <= now:
        counter.window_start, counter.count = now, 0
    if counter.count >= REPLIES_PER_DAY:
        return "reply_suppressed"
    counter.count += 1
    session.add(counter)
    subject = f"Re: {inbound.subject}"[:200] if inbound.subject else "About your email to cbportal"
    mail.queue(session, now=now, kind="mail_in_reply", to=to, subject=subject, account_id=account_id,
               ticket_id=ticket_id, why=why, lines=lines, link=f"{config.base_url}/portal",
               link_text="Open the customer portal")
    return "auto_reply"


def _with_attachments(inbound: Inbound) -> str:
    text = inbound.text
    if inbound.attachments:
        listed = inbound.attachments[:MAX_ATTACHMENTS_LISTED]
        more = len(inbound.attachments) - len(listed)
        text += ("\n\n" if text else "") + "Attachments sent by email (listed only; they were not opened or kept):\n" \
            + "\n".join(f"- {a}" for a in listed) + (f"\n- and {more} more" if more > 0 else "")
    return text


def _vendor_actor(session: Session, account: VendorAccount, sender: str) -> auth.Actor | None | bool:
    """The vendor party behind `sender`: a user with Manage Tickets (their Actor), the
    account's ticket or account address (True), or None when it is neither."""
    user = session.exec(select(User).where(func.lower(User.email) == sender, User.active)).first()
    if user is not None:
        actor = auth.actor_for(session, user)
        if actor.can_see_account(account) and not actor.is_staff and actor.has(Role.MANAGE_TICKETS):
            return actor
    if sender in (account.ticket_email.lower(), account.account_email.lower()):
        return True
    return None


def _ticket_reply(session: Session, *, now: datetime, inbound: Inbound, config: Config,
                  address: mail_addresses.Address) -> tuple[str, int | None, int | None, str]:
    ticket = session.get(Ticket, address.ticket_id)
    if ticket is None:
        return _auto_reply(session, now=now, inbound=inbound, config=config,
                           why="We could not find the ticket this email answers.", lines=_portal_lines(config)), \
            None, None, "unknown ticket"
    account = session.get(VendorAccount, ticket.account_id)
    order = session.get(Order, ticket.order_id)
    customer = session.get(Customer, order.customer_id)
    if address.party == "customer":
        who = tickets.CUSTOMER if inbound.sender == customer.email.lower() else None
        expected = "the address you bought with"
        link = links.customer_ticket_url(config.base_url, config.secret, ticket.id, customer.email)
    else:
        found = _vendor_actor(session, account, inbound.sender)
        who = None if found is None else tickets.Acting(Party.VENDOR, found if isinstance(found, auth.Actor) else None)
        expected = "the account's customer-service address or the address of a user with the Manage Tickets role"
        link = links.vendor_ticket_url(config.base_url, ticket.id)
    if who is None:
        why = (f"Your email to ticket #{ticket.id} was not added: answers by email are accepted only from "
               f"{expected}.")
        return _auto_reply(session, now=now, inbound=inbound, config=config, why=why,
                           lines=["Please answer from that address, or write on the ticket page.",
                                  *_portal_lines(config)], account_id=account.id, ticket_id=ticket.id), \
            account.id, ticket.id, "sender does not match the ticket"
    if ticket.status != TicketStatus.OPEN:
        why = f"Ticket #{ticket.id} is closed, so your email was not added to it."
        lines = ["If you still need help, open a new request from the order in the portal."
                 if address.party == "customer" else f"The ticket's history stays at {link}.",
                 *_portal_lines(config)]
        return _auto_reply(session, now=now, inbound=inbound, config=config, why=why, lines=lines,
                           account_id=account.id, ticket_id=ticket.id), account.id, ticket.id, "ticket closed"
    body = _with_attachments(inbound)
    if not body:
        return _auto_reply(session, now=now, inbound=inbound, config=config,
                           why=f"Your email to ticket #{ticket.id} had no new text above the quoted message, "
                               f"so nothing was added.", lines=["Write your answer above the quoted text."],
                           account_id=account.id, ticket_id=ticket.id), account.id, ticket.id, "no new text"
    try:
        with session.begin_nested():
            tickets.reply(session, now=now, ticket=ticket, who=who, body=body)
    except ServiceError as error:
        return _auto_reply(session, now=now, inbound=inbound, config=config,
                           why=f"Your email could not be added to ticket #{ticket.id}: {error}.",
                           lines=[f"Please write on the ticket page: {link}"], account_id=account.id,
                           ticket_id=ticket.id), account.id, ticket.id, str(error)[:200]
    return "comment", account.id, ticket.id, f"comment by the {address.party}"


def _receipt_order(session: Session, account: VendorAccount, inbound: Inbound) -> Order | None:
    tokens = []
    for token in RECEIPT_TOKEN.findall(f"{inbound.subject}\n{inbound.full_text}"):
        token = token.upper()
        if any(ch.isdigit() for ch in token) and token not in tokens:
            tokens.append(token)
        if len(tokens) >= 30:
            break
    if not tokens:
        return None
    return session.exec(select(Order).where(Order.account_id == account.id, Order.receipt.in_(tokens))
                        .order_by(Order.id)).first()


def _legacy(session: Session, *, now: datetime, inbound: Inbound, config: Config,
            address: mail_addresses.Address) -> tuple[str, int | None, int | None, str]:
    account = session.exec(select(VendorAccount).where(func.lower(VendorAccount.nickname) == address.nickname)).first()
    if account is None:
        return _general(session, now=now, inbound=inbound, config=config)
    kind = "refund" if address.kind == "refund" else "cancel"
    label = "refund" if kind == "refund" else "cancelation"
    order = _receipt_order(session, account, inbound)
    if order is None:
        why = f"We could not find a receipt number of {account.nickname} in your {label} request."
        return _auto_reply(session, now=now, inbound=inbound, config=config, why=why,
                           lines=["Send it again with the receipt number (from your purchase email) in the "
                                  "subject, or use the portal:", *_portal_lines(config)], account_id=account.id), \
            account.id, None, "no receipt"
    customer = session.get(Customer, order.customer_id)
    if inbound.sender != customer.email.lower():
        # The same answer whether or not the receipt exists: an email never learns whose order it is.
        why = (f"Your {label} request was not opened: by email we accept it only from the address the order "
               f"was bought with.")
        return _auto_reply(session, now=now, inbound=inbound, config=config, why=why,
                           lines=["Use the portal instead; it asks for the receipt and that email address.",
                                  *_portal_lines(config)], account_id=account.id), \
            account.id, None, "sender is not the order's email"
    comment = _with_attachments(inbound) or f"{label.capitalize()} requested by email."
    try:
        with session.begin_nested():
            ticket = tickets.open_ticket(session, now=now, order=order, type=kind, who=tickets.CUSTOMER,
                                         opener=Opener.CUSTOMER, comment=f"(by email) {comment}")
    except ServiceError as error:
        why = f"Your {label} request for order {order.receipt} was not opened: {error}."
        return _auto_reply(session, now=now, inbound=inbound, config=config, why=why,
                           lines=["Your order: " + links.customer_order_url(
                               config.base_url, config.secret, order.receipt, customer.email)],
                           account_id=account.id), account.id, None, str(error)[:200]
    return "ticket_opened", account.id, ticket.id, f"{kind} ticket opened by email"


def _general(session: Session, *, now: datetime, inbound: Inbound, config: Config) -> tuple[str, None, None, str]:
    why = "Thank you for your email. This address is not read by a person, so nothing was done with it."
    return _auto_reply(session, now=now, inbound=inbound, config=config, why=why,
                       lines=_portal_lines(config)), None, None, "not a ticket or request address"


def handle_recipient(session: Session, *, now: datetime, inbound: Inbound, raw: bytes, recipient: str,
                     config: Config) -> Outcome:
    """Act on one recipient of a parsed message, in the caller's transaction."""
    recipient = header_safe(recipient)[:254].lower()
    record = InboundMail(digest=_digest(inbound, raw, recipient), received_at=now, sender=inbound.sender or
                         inbound.envelope_sender or "(none)", recipient=recipient, subject=inbound.subject,
                         outcome="received", note="")
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return Outcome(recipient, "duplicate", note="this message was already received")
    loop = loop_reason(inbound)
    if loop:
        outcome, account_id, ticket_id, note = "ignored", None, None, f"automatic mail: {loop}"
    else:
        address = mail_addresses.classify(config.secret, config.domain, recipient)
        if address.kind == "ticket":
            outcome, account_id, ticket_id, note = _ticket_reply(session, now=now, inbound=inbound, config=config,
                                                                 address=address)
        elif address.kind in ("refund", "cancel"):
            outcome, account_id, ticket_id, note = _legacy(session, now=now, inbound=inbound, config=config,
                                                           address=address)
        else:
            outcome, account_id, ticket_id, note = _general(session, now=now, inbound=inbound, config=config)
    record.outcome, record.account_id, record.ticket_id, record.note = outcome, account_id, ticket_id, note[:300]
    session.add(record)
    return Outcome(recipient, outcome, ticket_id, note)


def receive(engine, *, now: datetime, envelope_sender: str, recipients: list[str], raw: bytes,
            config: Config) -> list[Outcome]:
    """Parse `raw` (refusing hostile input) and act on each recipient in its own transaction."""
    if len(recipients) > MAX_RECIPIENTS:
        raise Refused(452, f"4.5.3 Too many recipients: at most {MAX_RECIPIENTS}")
    inbound = parse(raw, envelope_sender=envelope_sender)
    outcomes = []
    for recipient in recipients:
        with Session(engine) as session:
            outcomes.append(handle_recipient(session, now=now, inbound=inbound, raw=raw, recipient=recipient,
                                             config=config))
            session.commit()
    return outcomes
