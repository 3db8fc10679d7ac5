"""The inbound mail receiver (issue 17, docs/inbound-email.md): an SMTP or LMTP server on
aiosmtpd that the site's mail server forwards cbportal's addresses to. It accepts
recipients at `CBPORTAL_MAIL_IN_DOMAIN` only (it relays nothing), refuses messages over
`mail_in.MAX_BYTES` during DATA, and hands each message to `services.mail_in.receive`
in a thread; a database failure answers 451 (the sending server retries later).

Run it with `cbportal mail-in` (its own process) or inside the app with
`CBPORTAL_MAIL_IN=1` (`mail_in_task`, a lifespan task)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from cbportal.services.delivery import mail_in

log = logging.getLogger("cbportal.mail_in")


class MailInHandler:
    """aiosmtpd handler: recipients at our domain only, then `mail_in.receive`."""

    def __init__(self, engine, clock, config: mail_in.Config):
        self.engine, self.clock, self.config = engine, clock, config

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= mail_in.MAX_RECIPIENTS:
            return f"452 4.5.3 Too many recipients: at most {mail_in.MAX_RECIPIENTS}"
        domain = address.rpartition("@")[2].lower()
        if self.config.domain and domain != self.config.domain:
            return "550 5.7.1 Relaying denied: this server only takes mail for " + self.config.domain
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            outcomes = await asyncio.to_thread(
                mail_in.receive, self.engine, now=self.clock.now(), envelope_sender=envelope.mail_from or "",
                recipients=list(envelope.rcpt_tos), raw=raw, config=self.config)
        except mail_in.Refused as refused:
            log.info("mail-in refused", extra={"reason": refused.text, "sender": envelope.mail_from})
            return refused.smtp_reply
        except Exception:  # the database is down or busy: the sending server keeps it and retries
            log.exception("mail-in failed")
            return "451 4.3.0 Temporary failure; please try again later"
        for outcome in outcomes:
            log.info("mail-in", extra={"recipient": outcome.recipient, "outcome": outcome.outcome,
                                       "ticket_id": outcome.ticket_id, "note": outcome.note})
        return "250 2.0.0 Message accepted"


class MailInController(Controller):
    """aiosmtpd's threaded controller, speaking SMTP or LMTP."""

    def __init__(self, handler: MailInHandler, *, hostname: str, port: int, lmtp: bool = False):
        super().__init__(handler, hostname=hostname, port=port, ready_timeout=10)
        self.lmtp = lmtp

    def factory(self):
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, data_size_limit=mail_in.MAX_BYTES, enable_SMTPUTF8=True,
                            hostname=self.handler.config.domain or "cbportal")


def start(engine, clock, *, host: str, port: int, lmtp: bool = False,
          config: mail_in.Config | None = None) -> MailInController:
    """Start the receiver in its own thread; `.stop()` ends it."""
    controller = MailInController(MailInHandler(engine, clock, config or mail_in.Config.from_settings()),
                                  hostname=host, port=port, lmtp=lmtp)
    controller.start()
    return controller


@contextlib.asynccontextmanager
async def mail_in_task():
    """The embedded receiver inside the app (CBPORTAL_MAIL_IN=1; off by default)."""
    from cbportal.settings import get_settings

    settings = get_settings()
    if not settings.mail_in:
        yield
        return
    from cbportal.db import get_engine
    from cbportal.services.core.clock import get_clock

    controller = await asyncio.to_thread(start, get_engine(), get_clock(), host=settings.mail_in_host,
                                         port=settings.mail_in_port, lmtp=settings.mail_in_protocol == "lmtp")
    try:
        yield
    finally:
        await asyncio.to_thread(controller.stop)
