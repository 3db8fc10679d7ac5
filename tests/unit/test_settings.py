"""Settings: embedded defaults, and bad settings fail at start with a clear message."""

import pytest

from cbportal.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "CBPORTAL_PAYMENTS", "CBPORTAL_MAIL", "CBPORTAL_TEST_MODE", "STRIPE_API_KEY",
                 "SMTP_HOST", "SMTP_PORT", "REFLEX_REDIS_URL", "CBPORTAL_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CBPORTAL_VAR_DIR", str(tmp_path))


def test_defaults_run_on_a_laptop(tmp_path):
    s = load_settings()
    assert s.database_url == f"sqlite:///{tmp_path / 'cbportal.db'}"
    assert (s.payments, s.mail, s.test_mode, s.run_worker) == ("sandbox", "folder", False, True)
    assert s.mail_dir == tmp_path / "mail"
    assert len(s.secret) == 64 and load_settings().secret == s.secret      # kept across starts


def test_postgres_url_gets_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/cb")
    assert load_settings().database_url == "postgresql+psycopg://u@db:5432/cb"


@pytest.mark.parametrize("env, message", [
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"CBPORTAL_PAYMENTS": "paypal"}, "CBPORTAL_PAYMENTS must be one of sandbox, stripe"),
    ({"CBPORTAL_PAYMENTS": "stripe"}, "needs STRIPE_API_KEY"),
    ({"CBPORTAL_MAIL": "smtp"}, "needs SMTP_HOST"),
    ({"CBPORTAL_TEST_MODE": "maybe"}, "CBPORTAL_TEST_MODE must be 1 or 0"),
    ({"SMTP_PORT": "twenty-five"}, "SMTP_PORT"),
])
def test_bad_settings_fail_clearly(monkeypatch, env, message):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_reflex_config_keeps_auto_setters_off_and_one_port():
    import rxconfig

    assert rxconfig.config.state_auto_setters is False
    assert rxconfig.config.frontend_port == rxconfig.config.backend_port
