"""Inbound mail settings (issue 17, docs/inbound-email.md): off by default, and a bad
setting stops the app at start with a sentence naming it."""

import pytest

from cbportal.settings import SettingsError, load_settings

NAMES = ("CBPORTAL_MAIL_IN", "CBPORTAL_MAIL_IN_DOMAIN", "CBPORTAL_MAIL_IN_HOST", "CBPORTAL_MAIL_IN_PORT",
         "CBPORTAL_MAIL_IN_PROTOCOL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CBPORTAL_VAR_DIR", str(tmp_path))


def test_the_embedded_receiver_is_off_by_default_and_ticket_mail_has_no_reply_to():
    s = load_settings()
    assert (s.mail_in, s.mail_in_domain, s.mail_in_host, s.mail_in_port, s.mail_in_protocol) == (
        False, None, "127.0.0.1", 2525, "smtp")


def test_turned_on_with_its_domain(monkeypatch):
    monkeypatch.setenv("CBPORTAL_MAIL_IN", "1")
    monkeypatch.setenv("CBPORTAL_MAIL_IN_DOMAIN", "Help.Example.COM")
    monkeypatch.setenv("CBPORTAL_MAIL_IN_PROTOCOL", "lmtp")
    monkeypatch.setenv("CBPORTAL_MAIL_IN_PORT", "24")
    s = load_settings()
    assert (s.mail_in, s.mail_in_domain, s.mail_in_port, s.mail_in_protocol) == (True, "help.example.com", 24, "lmtp")


@pytest.mark.parametrize("env, message", [
    ({"CBPORTAL_MAIL_IN": "1"}, "CBPORTAL_MAIL_IN=1 needs CBPORTAL_MAIL_IN_DOMAIN"),
    ({"CBPORTAL_MAIL_IN_DOMAIN": "bad domain\r\nBcc: x"}, "CBPORTAL_MAIL_IN_DOMAIN must be a domain name"),
    ({"CBPORTAL_MAIL_IN_PORT": "smtp"}, "CBPORTAL_MAIL_IN_PORT must be a port number"),
    ({"CBPORTAL_MAIL_IN_PROTOCOL": "pop3"}, "CBPORTAL_MAIL_IN_PROTOCOL must be one of smtp, lmtp"),
])
def test_bad_mail_in_settings_fail_at_start(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()
