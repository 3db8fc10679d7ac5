"""The one place gateway calls are measured and logged: `metered(gateway)` wraps whatever
`get_gateway` built. Each call counts in `cbportal_gateway_calls{operation,outcome}`, times
in `cbportal_gateway_call_seconds` and writes one log line with its idempotency key,
amount and outcome. Card data never reaches the log: `save_method` logs only the outcome
and the last four digits the gateway returned."""

from __future__ import annotations

import logging
import time

from cbportal.ops.metrics import GATEWAY_CALLS, GATEWAY_SECONDS

log = logging.getLogger("cbportal.gateway")


class MeteredGateway:
    def __init__(self, inner):
        self.inner = inner
        self.name = getattr(inner, "name", type(inner).__name__)

    def __getattr__(self, attr):  # anything else the gateway offers, unmeasured
        return getattr(self.inner, attr)

    def _call(self, operation: str, fn, fields: dict, **kwargs):
        started = time.perf_counter()
        outcome = "exception"
        try:
            result = fn(**kwargs) if kwargs else fn()
            outcome = "none" if result is None else str(getattr(result, "outcome", "ok"))
            return result
        finally:
            seconds = time.perf_counter() - started
            GATEWAY_CALLS.labels(self.name, operation, outcome).inc()
            GATEWAY_SECONDS.labels(self.name, operation).observe(seconds)
            log.info("gateway %s %s: %s", self.name, operation, outcome,
                     extra={"event": f"gateway.{operation}", "gateway": self.name, "outcome": outcome,
                            "duration_ms": round(seconds * 1000, 1), **fields})

    def save_method(self, payment):
        started = time.perf_counter()
        outcome = "exception"
        try:
            saved = self.inner.save_method(payment)
            outcome = str(saved.outcome)
            return saved
        finally:
            seconds = time.perf_counter() - started
            GATEWAY_CALLS.labels(self.name, "save_method", outcome).inc()
            GATEWAY_SECONDS.labels(self.name, "save_method").observe(seconds)
            log.info("gateway %s save_method: %s", self.name, outcome,
                     extra={"event": "gateway.save_method", "gateway": self.name, "outcome": outcome,
                            "payment_type": getattr(payment, "type", None),
                            "duration_ms": round(seconds * 1000, 1)})

    def charge(self, *, customer_ref, method_ref, amount_cents, currency, idempotency_key, metadata=None):
        return self._call("charge", lambda: self.inner.charge(
            customer_ref=customer_ref, method_ref=method_ref, amount_cents=amount_cents, currency=currency,
            idempotency_key=idempotency_key, metadata=metadata),
            {"idempotency_key": idempotency_key, "amount_cents": amount_cents, "currency": currency})

    def refund(self, *, charge_ref, amount_cents, idempotency_key):
        return self._call("refund", lambda: self.inner.refund(
            charge_ref=charge_ref, amount_cents=amount_cents, idempotency_key=idempotency_key),
            {"idempotency_key": idempotency_key, "amount_cents": amount_cents})

    def find(self, *, idempotency_key):
        return self._call("find", lambda: self.inner.find(idempotency_key=idempotency_key),
                          {"idempotency_key": idempotency_key})


def metered(gateway):
    return gateway if isinstance(gateway, MeteredGateway) else MeteredGateway(gateway)
