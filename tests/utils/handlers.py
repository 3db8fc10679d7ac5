"""Calling a Reflex event handler the way a raw websocket frame runs it on the server
(`call`), and fingerprinting the database to prove a refused call changed nothing
(`fingerprint`, minus the tables in `ALWAYS_IGNORED`), for the role x action matrices."""

from __future__ import annotations

import hashlib
import inspect

from sqlalchemy import text
from sqlmodel import SQLModel

import cbportal.state.session

# Tables a refused call may still write: the caller's own session and failed-lookup counts.
ALWAYS_IGNORED = {"web_session", "lookup_failure", "attempt_counter"}  # attempt counts are not data


def fingerprint(engine, skip: set[str]) -> dict[str, str]:
    with engine.connect() as conn:
        return {t.name: hashlib.sha256(repr(conn.execute(text(f"SELECT * FROM {t.name} ORDER BY 1")).all())
                                       .encode()).hexdigest()
                for t in SQLModel.metadata.sorted_tables if t.name not in skip}


def call(cls, handler, args, preset, token):
    state = cls(_reflex_internal_init=True)
    if "token" in cls.base_vars or issubclass(cls, cbportal.state.session.SessionState):
        state.token = token
    for name, value in preset.items():
        setattr(state, name, value)
    result = getattr(cls, handler).fn(state, *args)
    if inspect.isgenerator(result):
        result = list(result)
    # every var the page can show, its parents' included (a substate reads and writes them: `error`)
    seen = {name: getattr(state, name) for name in cls.vars if name != "token" and name not in preset}
    return str(result) + str(seen)
