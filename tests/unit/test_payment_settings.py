"""Settings for the browser-side card collection (issue 11 point 5, docs/payments.md)."""

import pytest

from cbportal.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("CBPORTAL_PAYMENTS", "STRIPE_API_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_JS_URL", "CBPORTAL_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CBPORTAL_VAR_DIR", str(tmp_path))


def test_stripe_mode_needs_a_publishable_key(monkeypatch):
    monkeypatch.setenv("CBPORTAL_PAYMENTS", "stripe")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_x")
    with pytest.raises(SettingsError, match="needs STRIPE_PUBLISHABLE_KEY"):
        load_settings()
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "sk_test_x")        # a secret key must never go to browsers
    with pytest.raises(SettingsError, match="needs STRIPE_PUBLISHABLE_KEY"):
        load_settings()
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_x")
    s = load_settings()
    assert (s.stripe_publishable_key, s.stripe_js_url) == ("pk_test_x", "https://js.stripe.com/v3/")


def test_stripe_js_url(monkeypatch):
    monkeypatch.setenv("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/")
    assert load_settings().stripe_js_url == "http://127.0.0.1:8420/js.stripe.com/v3/"
    monkeypatch.setenv("STRIPE_JS_URL", "javascript:alert(1)")
    with pytest.raises(SettingsError, match="STRIPE_JS_URL must be an http"):
        load_settings()
