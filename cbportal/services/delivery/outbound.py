"""Outbound HTTP to addresses that vendors give us (INS URLs, any future webhook),
RULES R9: only public http(s) addresses.

The host is resolved once and *every* address it resolves to must be public; the
connection then goes to that checked address (no second lookup that could answer
differently), redirects are never followed (a 3xx is just a status), and nothing of the
remote's answer but its status code is kept. Failures are our own short error names
(`ERRORS`), never the remote's text, so the delivery log cannot be used to read banners
or scan ports. `CBPORTAL_INS_ALLOW_PRIVATE=1` lets tests use loopback and private
addresses; link-local (cloud metadata) stays refused even then.

A host name that was not found is remembered for `NOT_FOUND_FOR` seconds and looked up
one delivery at a time, so a dead endpoint's backlog costs one DNS lookup, not one per
message (addresses that were found are looked up again at every delivery)."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections import defaultdict
from urllib.parse import urlsplit

ERRORS = {
    "address_not_public": "refused: the URL does not lead to a public address",
    "invalid_url": "refused: not an http(s) URL",
    "host_not_found": "the host name was not found",
    "connect_failed": "could not connect",
    "timeout": "no answer in time",
    "tls_failed": "the secure connection failed",
    "not_http": "the answer was not HTTP",
}


NOT_FOUND_FOR = 60.0
_not_found_until: dict[str, float] = {}
_lookups: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)


class OutboundRefused(Exception):
    """A request we did not make or that failed; `code` is one of ERRORS."""

    def __init__(self, code: str):
        super().__init__(ERRORS[code])
        self.code = code


def describe(code: str | None) -> str:
    """A stored error name as the delivery log shows it (anything else: a generic phrase)."""
    return ERRORS.get(code or "", "network error")


def address_allowed(raw: str, *, allow_private: bool) -> bool:
    ip = ipaddress.ip_address(raw.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    if ip.is_global:
        return True
    return allow_private and (ip.is_loopback or ip.is_private)


def check_url(url: str, *, allow_private: bool) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses) of a URL whose every address may be reached;
    raises OutboundRefused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("invalid_url") from None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise OutboundRefused("invalid_url")
    infos = _resolve(host, port)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses or not all(address_allowed(a, allow_private=allow_private) for a in addresses):
        raise OutboundRefused("address_not_public")
    return parts.scheme, host, port, addresses


def _resolve(host: str, port: int) -> list:
    with _lookups[host]:
        if _not_found_until.get(host, 0.0) > time.monotonic():
            raise OutboundRefused("host_not_found")
        try:
            return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError):
            _not_found_until[host] = time.monotonic() + NOT_FOUND_FOR
            raise OutboundRefused("host_not_found") from None


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, timeout: float = 10) -> int:
    """POST `body` to a checked public address and return the status code (redirects are
    not followed); raises OutboundRefused with our own error name on any failure."""
    scheme, host, port, addresses = check_url(url, allow_private=allow_private)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = (_PinnedHTTPS if scheme == "https" else _PinnedHTTP)(host, port, addresses[0], timeout)
    try:
        connection.request("POST", path, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = connection.getresponse()
        return response.status
    except TimeoutError:
        raise OutboundRefused("timeout") from None
    except ssl.SSLError:
        raise OutboundRefused("tls_failed") from None
    except http.client.HTTPException:
        raise OutboundRefused("not_http") from None
    except OSError:
        raise OutboundRefused("connect_failed") from None
    finally:
        connection.close()
