"""API test client on the migrated test database, with test mode routes mounted."""

import pytest
from fastapi.testclient import TestClient

from cbportal import db
from cbportal.api.app import build_api
from cbportal.services.core import clock as clock_module
from tests.utils.api import bearer, shop, ticket_shop  # noqa: F401  (bearer for older imports; fixtures)


@pytest.fixture
def client(engine, tmp_path, monkeypatch):
    from cbportal.services.delivery import mail

    monkeypatch.setattr(mail, "transport_from_settings", lambda: mail.FolderTransport(tmp_path / "mail"))
    db.use_engine(engine)
    clock_module.use_clock(clock_module.StoredClock(engine))
    try:
        with TestClient(build_api(test_mode=True), raise_server_exceptions=False) as c:
            yield c
    finally:
        db.use_engine(None)
        clock_module.use_clock(None)


@pytest.fixture
def staff_key(client):
    return client.post("/api/v1/test/reset").json()["staff_api_key"]
