"""A dead INS host name costs one DNS lookup, not one per queued message (R9 delivery)."""

from __future__ import annotations

import socket
import threading

import pytest

from cbportal.services.delivery import outbound


def test_a_host_not_found_is_looked_up_once_however_many_deliveries_wait(monkeypatch):
    calls = []

    def not_found(host, *args, **kwargs):
        calls.append(host)
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", not_found)
    monkeypatch.setattr(outbound, "_not_found_until", {})
    errors = []

    def deliver():
        try:
            outbound.post("https://gone.example.test/ins", b"{}", {}, allow_private=False)
        except outbound.OutboundRefused as refused:
            errors.append(refused.code)

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == ["host_not_found"] * 20
    assert calls == ["gone.example.test"]


def test_a_host_found_again_after_the_pause_is_looked_up_again(monkeypatch):
    calls = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: calls.append(host) or [])
    monkeypatch.setattr(outbound, "_not_found_until", {"back.example.test": 0.0})
    with pytest.raises(outbound.OutboundRefused) as refused:
        outbound.check_url("https://back.example.test/ins", allow_private=False)
    assert refused.value.code == "address_not_public"   # looked up (no addresses), not remembered as missing
    assert calls == ["back.example.test"]
