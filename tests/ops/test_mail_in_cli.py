"""`cbportal mail-in` as an operator runs it (issue 17, docs/inbound-email.md): its own
process, a real SMTP session from outside, stopped by SIGTERM; without a domain it
refuses to start with a sentence."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from sqlmodel import Session, select

from cbportal.db import make_engine
from cbportal.migrations import upgrade
from cbportal.models import EmailOutbox, InboundMail

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBPORTAL_")}
    env.update(PYTHONPATH=str(ROOT), CBPORTAL_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'cb.db'}",
               CBPORTAL_LOG_FORMAT="plain", **extra)
    return env


def test_mail_in_without_a_domain_refuses_to_start(tmp_path):
    run = subprocess.run([sys.executable, "-m", "cbportal.cli", "mail-in"], env=_env(tmp_path), cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "mail-in needs CBPORTAL_MAIL_IN_DOMAIN" in run.stderr


def test_mail_in_process_answers_a_real_smtp_session_and_stops_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'cb.db'}"
    upgrade(url)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cbportal.cli", "mail-in", "--port", str(port)],
                            env=_env(tmp_path, CBPORTAL_MAIL_IN_DOMAIN="mail.example.test"), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "receiving SMTP mail for mail.example.test" in proc.stdout.readline()
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "someone@example.test", "help@mail.example.test", "Where is my order?"
        msg.set_content("Hello?")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            assert client.send_message(msg) == {}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    with Session(make_engine(url)) as s:
        assert [(r.recipient, r.outcome) for r in s.exec(select(InboundMail))] == [
            ("help@mail.example.test", "auto_reply")]
        reply = s.exec(select(EmailOutbox)).one()
        assert (reply.kind, reply.to_addr, reply.subject) == ("mail_in_reply", "someone@example.test",
                                                              "Re: Where is my order?")
