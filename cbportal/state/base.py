"""The base of every signed-in page state: a declared `error`, one access guard and the
session helpers the handlers used to repeat (actor, refusal, redirect to sign-in).

`_enter(route)` starts a page load: who is signed in, the navbar for them, a visitor sent
to sign in, a user who may not open the page told why (services/accounts/page_access.py).
`_require(rule)` starts an action: the actor when signed in (and, with a rule, allowed),
else None with `error` saying the session ended. `_or_sign_in(rule, next)` starts what
sends whoever may not use it to sign in. `_run(fn)` runs a service call and shows its
refusal. The services check roles again (R8)."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from cbportal import routes
from cbportal.services.accounts import auth
from cbportal.services.core.errors import ServiceError
from cbportal.state.session import SessionState, sentence

SESSION_ENDED = "Your session has ended; log in again."


def is_staff(actor: auth.Actor) -> bool:
    return actor.is_staff


def enter(state: SessionState, route: str, back: str = "") -> tuple[auth.Actor | None, rx.event.EventSpec | None]:
    """`PageState._enter` for any page state (the live dashboard's base is SessionState)."""
    actor = state._actor()
    state._show(actor)
    if actor is None:
        return None, rx.redirect(routes.login(next=back or route))
    if not state._gate(actor, route):
        return None, None
    return actor, None


class PageState(SessionState):
    error: str = ""

    def _enter(self, route: str, back: str = "") -> tuple[auth.Actor | None, rx.event.EventSpec | None]:
        """A page load's start: (actor, None) when the page may open; (None, redirect to
        sign-in, coming back to `back` or `route`) for a visitor; (None, None) when refused
        (the page shows why)."""
        return enter(self, route, back)

    def _require(self, rule: Callable[[auth.Actor], bool] | None = None) -> auth.Actor | None:
        """An action's start: the signed-in actor (passing `rule`), else None and a sentence."""
        actor = self._actor()
        if actor is None or (rule is not None and not rule(actor)):
            self.error = SESSION_ENDED
            return None
        return actor

    def _run(self, fn) -> bool:
        """Call `fn(actor)` for the signed-in user; a refusal becomes the page's `error`."""
        actor = self._require()
        if actor is None:
            return False
        try:
            fn(actor)
        except ServiceError as error:
            self.error = sentence(error)
            return False
        self.error = ""
        return True

    def _or_sign_in(self, rule: Callable[[auth.Actor], bool] | None = None,
                    next: str = "") -> tuple[auth.Actor | None, rx.event.EventSpec | None]:
        """A start that sends a visitor (or a user failing `rule`) to sign in, coming back to
        `next`: the staff desk, the test clock, the email samples, and actions whose ended
        session must leave the page: (actor, None), else (None, the redirect)."""
        actor = self._actor()
        self._show(actor)
        if actor is None or (rule is not None and not rule(actor)):
            return None, rx.redirect(routes.login(next=next))
        return actor, None


def change_and_refresh(state, actor: auth.Actor, refresh, **changes) -> bool:
    """Set page fields (filters, the account picked) on `state` and refresh with them; when
    the services refuse, put the fields back and show why in the state's declared `error`."""
    before = {name: getattr(state, name) for name in changes}
    for name, value in changes.items():
        setattr(state, name, value)
    try:
        refresh(actor)
    except ServiceError as error:
        for name, value in before.items():
            setattr(state, name, value)
        state.error = sentence(error)
        return False
    state.error = ""
    return True
