"""Records what a browser page sends: every HTTP request (URL and body) and every
websocket frame, so a test can prove where a card number went and where it did not."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Page


@dataclass
class Sent:
    requests: list[tuple[str, str]] = field(default_factory=list)   # (url, body)
    frames: list[tuple[str, str]] = field(default_factory=list)     # (websocket url, payload)

    def carrying(self, secret: str) -> list[str]:
        """URLs of requests and websockets whose body, URL or frame contains `secret`."""
        hits = [url for url, body in self.requests if secret in body or secret in url]
        return hits + [url for url, payload in self.frames if secret in payload]

    def to(self, origin: str) -> Sent:
        return Sent([r for r in self.requests if r[0].startswith(origin)],
                    [f for f in self.frames if f[0].startswith(origin.replace("http", "ws", 1))])


def record(page: Page) -> Sent:
    sent = Sent()

    def on_request(request):
        try:
            body = request.post_data or ""
        except Exception:  # a binary body is not a card number typed into a text field
            body = ""
        sent.requests.append((request.url, body))

    def on_websocket(ws):
        ws.on("framesent", lambda payload: sent.frames.append((ws.url, payload if isinstance(payload, str)
                                                               else payload.decode("utf-8", "replace"))))

    page.on("request", on_request)
    page.on("websocket", on_websocket)
    return sent
