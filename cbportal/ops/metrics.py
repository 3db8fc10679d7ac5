"""Prometheus metrics (`prometheus_client`, the default registry, served at /metrics).

Counted in the process that does the work: worker items processed and failed per source,
gateway calls by outcome with their latency, HTTP request latency. Read from the
database at scrape time (so right in any process, whichever process does the work):
due-work lag per source (now - the oldest due item), the email and INS outbox backlogs
and their oldest age, the freshest worker heartbeat. Open websocket clients come from
the Reflex event namespace of the app process (`watch_websockets`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("cbportal.metrics")

WORKER_PROCESSED = Counter("cbportal_worker_items_processed", "Due items a worker pass completed, per source",
                           ["source"])
WORKER_FAILED = Counter("cbportal_worker_items_failed", "Worker passes of a source that failed (the source's "
                        "items stay due and are retried)", ["source"])
GATEWAY_CALLS = Counter("cbportal_gateway_calls", "Payment gateway calls by operation and outcome",
                        ["gateway", "operation", "outcome"])
GATEWAY_SECONDS = Histogram("cbportal_gateway_call_seconds", "Payment gateway call latency",
                            ["gateway", "operation"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
HTTP_SECONDS = Histogram("cbportal_http_request_seconds", "HTTP request latency (API, health, pages)",
                         ["method", "route", "status"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
EVENT_SECONDS = Histogram("cbportal_event_seconds", "Reflex event handling latency, per handler",
                          ["handler"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WEBSOCKET_CLIENTS = Gauge("cbportal_websocket_clients", "Open websocket (event) connections in this process")


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max(0.0, (now - then).total_seconds())


class DatabaseCollector:
    """Figures read from the database when Prometheus scrapes."""

    def describe(self):
        """Nothing to declare up front: without this, registering would run `collect` at import
        and open a database connection that the web server's forked processes would share."""
        return []

    def collect(self):
        from sqlmodel import func, select

        from cbportal.db import get_engine, reader
        from cbportal.models import EmailOutbox, InsOutbox
        from cbportal.ops import heartbeat
        from cbportal.services.core.clock import get_clock

        up = GaugeMetricFamily("cbportal_database_up", "1 when the database answered this scrape")
        lag = GaugeMetricFamily("cbportal_due_lag_seconds", "Now minus the oldest due item, per source "
                                "(0 when nothing is due)", labels=["source"])
        backlog = GaugeMetricFamily("cbportal_outbox_backlog", "Messages waiting in an outbox", labels=["outbox"])
        retrying = GaugeMetricFamily("cbportal_outbox_retrying", "Waiting messages that failed at least once",
                                     labels=["outbox"])
        oldest = GaugeMetricFamily("cbportal_outbox_oldest_age_seconds", "Age of the oldest waiting message",
                                   labels=["outbox"])
        beat = GaugeMetricFamily("cbportal_worker_heartbeat_age_seconds",
                                 "Seconds since the freshest worker heartbeat (-1: none yet)")
        try:
            now = get_clock().now()
            with reader(get_engine()) as session:
                for source in (_sources() if _sources else []):
                    lag.add_metric([source.name], _age(now, source.next_due(session)))
                for name, table, waiting in (
                        ("email", EmailOutbox, (EmailOutbox.sent_at.is_(None),)),
                        ("ins", InsOutbox, (InsOutbox.delivered_at.is_(None), InsOutbox.gave_up_at.is_(None)))):
                    count, first = session.exec(select(func.count(), func.min(table.created_at)).where(*waiting)).one()
                    failed = session.exec(select(func.count()).where(*waiting, table.attempts > 0)).one()
                    backlog.add_metric([name], count)
                    retrying.add_metric([name], failed)
                    oldest.add_metric([name], _age(now, first))
                age, _alive = heartbeat.freshest(session)
                beat.add_metric([], -1 if age is None else age)
        except Exception as error:  # noqa: BLE001 - a scrape must answer even when the database does not
            log.debug("metrics: database figures unavailable: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, lag, backlog, retrying, oldest, beat)


_installed = False
_sources = None   # the worker's due-work sources, given by the app (ops imports no business module)


def install_database_collector(sources=None) -> None:
    """Register the scrape-time collector once; `sources` returns the due-work sources whose
    lag is reported (the app passes `worker.all_sources`)."""
    global _installed, _sources
    if sources is not None:
        _sources = sources
    if not _installed:
        REGISTRY.register(DatabaseCollector())
        _installed = True


def watch_websockets(app) -> None:
    """Report the open event connections of this Reflex app process."""
    def count() -> int:
        namespace = getattr(app, "event_namespace", None)
        if namespace is None:
            return 0
        sockets = getattr(getattr(getattr(namespace, "server", None), "eio", None), "sockets", None)
        if sockets is not None:  # every open Engine.IO connection, linked to a client token or not yet
            return len(sockets)
        return len(getattr(namespace, "sid_to_token", None) or {})

    WEBSOCKET_CLIENTS.set_function(count)
