"""The failed-login lockout, through every door that checks a password (issue 16.1, 16.2)."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, make_user

ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"


def api_login(address: str, username: str, password: str) -> int:
    return (
        Client(REMOTE_ADDR=address)
        .post(
            "/api/auth/login",
            {"username": username, "password": password},
            content_type="application/json",
        )
        .status_code
    )


def door(path: str, *, json: bool):
    def attempt(address: str, username: str, password: str):
        body = {"username": username, "password": password}
        client = Client(REMOTE_ADDR=address)
        if json:
            return client.post(path, body, content_type="application/json")
        return client.post(path, body)

    return attempt


# Each door: how to knock, what a wrong password answers, what the right one answers.
DOORS = {
    "api-login": (door("/api/auth/login", json=True), {401}, 200),
    "api-token": (door("/api/auth/token", json=True), {401}, 200),
    "login-page": (door("/login", json=False), {200}, 302),
    "admin-login": (door("/admin/login/", json=False), {200}, 302),
}


@pytest.fixture(autouse=True)
def _admin_login_page_renders(monkeypatch):
    # erp/admin.py reads `is_admin` on AnonymousUser, so the admin login page is a 500 for
    # visitors (issue 9, mended on another branch); stand in for that fix here.
    from django.contrib.auth.models import AnonymousUser

    monkeypatch.setattr(AnonymousUser, "is_admin", False, raising=False)


@pytest.fixture
def ada(db):
    # Staff, so that the admin door lets her in too.
    return make_user("ada", role="admin", is_staff=True, is_superuser=True)


def assert_locked(response) -> None:
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600


@pytest.mark.parametrize("name", DOORS)
def test_ten_wrong_passwords_at_a_door_lock_it_with_retry_after(ada, name):
    knock, wrong_status, _ = DOORS[name]
    statuses = [knock(ATTACKER, "ada", f"guess-{i}").status_code for i in range(10)]

    assert set(statuses) <= wrong_status
    assert_locked(knock(ATTACKER, "ada", PASSWORD))


def test_failures_at_different_doors_add_up_and_lock_every_door(ada):
    knocks = [knock for knock, _, _ in DOORS.values()]
    for i in range(10):
        knocks[i % len(knocks)](ATTACKER, "ada", f"guess-{i}")

    for knock in knocks:
        assert_locked(knock(ATTACKER, "ada", PASSWORD))


def test_one_address_guessing_many_usernames_is_locked_out_of_all(ada):
    knock, _, _ = DOORS["api-token"]
    for i in range(10):
        knock(ATTACKER, f"someone-{i}", "x")

    for knock, _, _ in DOORS.values():
        assert_locked(knock(ATTACKER, "ada", PASSWORD))


@pytest.mark.parametrize("name", DOORS)
def test_a_guesser_cannot_lock_the_owner_out(ada, name):
    knock, _, right_status = DOORS[name]
    for i in range(12):
        api_login(ATTACKER, "ada", f"guess-{i}")

    assert knock(OWNER, "ada", PASSWORD).status_code == right_status
    assert_locked(knock(ATTACKER, "ada", PASSWORD))


def test_a_guesser_spread_over_addresses_gets_one_guess_per_address(ada):
    for i in range(10):
        api_login(f"10.0.0.{i}", "ada", f"guess-{i}")

    # The username is now under attack: a new address gets one wrong guess, then waits...
    assert api_login("10.0.1.1", "ada", "another guess") == 401
    assert api_login("10.0.1.1", "ada", PASSWORD) == 429
    assert api_login("10.0.0.3", "ada", PASSWORD) == 429
    # ...while an address that has not guessed wrong still signs in.
    assert api_login(OWNER, "ada", PASSWORD) == 200


def test_the_lock_ends_with_the_window(ada, settings, monkeypatch):
    import time

    from django.utils import timezone

    for i in range(10):
        api_login(ATTACKER, "ada", f"guess-{i}")
    assert api_login(ATTACKER, "ada", PASSWORD) == 429

    later = timezone.now() + timezone.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    monkeypatch.setattr(time, "time", lambda: later.timestamp())

    assert api_login(ATTACKER, "ada", PASSWORD) == 200


def test_token_refresh_is_throttled_with_retry_after(ada):
    client = Client(REMOTE_ADDR=ATTACKER)
    statuses = [
        client.post(
            "/api/auth/token/refresh", {"refresh": "not-a-token"}, content_type="application/json"
        ).status_code
        for _ in range(61)
    ]

    assert set(statuses[:60]) == {401}
    assert statuses[60] == 429
