"""Sign-in throttling (RULES R8; issue: 40 wrong passwords over one websocket, then the
right one was accepted at once). The attack comes through the login page's event
handler, so it is replayed here through `LoginState.submit` as a websocket frame runs it."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session

from cbportal import db
from cbportal.models import User
from cbportal.services.accounts import auth
from cbportal.services.core import clock as clock_module
from cbportal.services.core.errors import Unauthorized
from cbportal.state.login import LoginState
from tests import factories


@pytest.fixture
def owner(engine, clock):
    db.use_engine(engine)
    clock_module.use_clock(clock)
    with Session(engine) as s:
        _, owner = factories.account(s, clock.now(), nickname="acme")
        user = s.get(User, owner.user_id)
        user.password_hash = auth.hash_password("owner-demo")
        s.add(user)
        s.commit()
    yield "owner@acme.test"
    db.use_engine(None)
    clock_module.use_clock(None)


def submit(email, password):
    state = LoginState(_reflex_internal_init=True)
    LoginState.submit.fn(state, {"email": email, "password": password})
    return state


def test_r8_forty_wrong_passwords_then_the_right_one_is_refused_until_the_delay_passes(owner, engine, clock):
    for _ in range(40):
        state = submit(owner, "wrong-password")
        assert state.token == "" and state.error
    state = submit(owner, "owner-demo")
    assert state.token == ""
    assert state.error == "Too many failed sign-ins for this account or from your network; try again in 1 second."
    clock.set(clock.now() + timedelta(seconds=1))          # the 5th failure earned 1 s; the 35 after it were refused
    state = submit(owner, "wrong-password")      # the 6th failure: 2 s
    assert state.error == "Wrong email or password."
    assert submit(owner, "owner-demo").error.endswith("try again in 2 seconds.")
    clock.set(clock.now() + timedelta(seconds=2))
    state = submit(owner, "owner-demo")
    assert state.error == "" and state.token != ""
    state = submit(owner, "wrong-password")      # a success forgives the account's failures
    assert state.error == "Wrong email or password."


def test_r8_the_delay_grows_to_fifteen_minutes_and_is_shared_by_every_process(owner, engine, clock):
    now = clock.now()
    for n in range(30):
        with Session(engine) as s:      # a fresh session each time: the count lives in the database
            try:
                auth.login(s, now=now, email=owner, password="wrong-password", address="198.51.100.7")
            except auth.SignInThrottled:
                pass
            except Unauthorized:
                pass
        now += auth.sign_in_delay(n + 1, auth.SIGN_IN_FREE["login-user"])
    assert auth.sign_in_delay(30, 5) == timedelta(minutes=15)
    with Session(engine) as s, pytest.raises(auth.SignInThrottled) as refused:
        auth.login(s, now=now - timedelta(minutes=1), email=owner, password="owner-demo", address="203.0.113.9")
    assert refused.value.retry_after == 60 and refused.value.status == 429


def test_r8_concurrent_guesses_are_counted_one_after_another(owner, engine, clock):
    """20 guesses at once from one address: only the first 5 reach the password check."""
    now = clock.now()

    def guess(_):
        with Session(engine) as s:
            try:
                auth.login(s, now=now, email=owner, password="wrong-password", address="198.51.100.8")
            except auth.SignInThrottled:
                return "throttled"
            except Unauthorized:
                return "wrong"

    with ThreadPoolExecutor(20) as pool:
        outcomes = sorted(pool.map(guess, range(20)))
    assert outcomes.count("wrong") == 5 and outcomes.count("throttled") == 15


def test_r8_an_address_spraying_many_accounts_is_throttled_too(owner, engine, clock):
    now = clock.now()
    for n in range(20):
        with Session(engine) as s, pytest.raises(Unauthorized):
            auth.login(s, now=now, email=f"user{n}@acme.test", password="x" * 10, address="192.0.2.1")
    with Session(engine) as s, pytest.raises(auth.SignInThrottled):
        auth.login(s, now=now, email=owner, password="owner-demo", address="192.0.2.1")
    with Session(engine) as s:   # the owner from another address is not affected
        assert auth.login(s, now=now, email=owner, password="owner-demo", address="192.0.2.2")
