"""Personal tokens and JWTs: revoked by a password change, capped and throttled (issue 16.7)."""

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from openaec.accounts.models import ApiToken, User
from openaec.accounts.services import api_token_create
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase 7"


@pytest.fixture
def ada(db):
    return make_user("ada", role="editor")


def credentials(user: User) -> dict[str, str]:
    """Everything ada holds before the change: a JWT pair from login and a personal token."""
    login = APIClient().post(
        "/api/auth/login", {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200
    return {
        "access": login.json()["access_token"],
        "refresh": login.json()["refresh_token"],
        "personal": api_token_create(user=user, name="script", expires_days=None).raw,
    }


def me_status(bearer: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer}")
    return client.get("/api/auth/me").status_code


def refresh_status(refresh: str) -> int:
    return (
        APIClient().post("/api/auth/token/refresh", {"refresh": refresh}, format="json").status_code
    )


def assert_all_revoked(held: dict[str, str]) -> None:
    assert me_status(held["access"]) == 401
    assert me_status(held["personal"]) == 401
    assert refresh_status(held["refresh"]) == 401


def test_credentials_work_before_any_change(ada):
    held = credentials(ada)
    assert me_status(held["access"]) == 200
    assert me_status(held["personal"]) == 200
    assert refresh_status(held["refresh"]) == 200


def test_a_password_change_in_the_admin_revokes_jwts_and_personal_tokens(ada):
    held = credentials(ada)
    root = User.objects.create_superuser("root", "root@example.com", "pw-root-12345")
    admin = Client()
    admin.force_login(root)

    response = admin.post(
        f"/admin/accounts/user/{ada.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert_all_revoked(held)
    assert not ApiToken.objects.filter(user=ada).exists()


def test_changepassword_command_revokes_them_too(ada, monkeypatch):
    held = credentials(ada)
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass",
        lambda prompt="": NEW_PASSWORD,
    )

    call_command("changepassword", "ada", stdout=None)

    assert_all_revoked(held)


def test_the_new_password_gives_working_credentials(ada):
    ada.set_password(NEW_PASSWORD)
    ada.save()
    login = APIClient().post(
        "/api/auth/login", {"username": "ada", "password": NEW_PASSWORD}, format="json"
    )
    assert me_status(login.json()["access_token"]) == 200
    assert refresh_status(login.json()["refresh_token"]) == 200
    assert me_status(api_token_create(user=ada, name="new", expires_days=None).raw) == 200


def test_a_hash_upgrade_at_login_keeps_personal_tokens(ada, settings):
    token = api_token_create(user=ada, name="script", expires_days=None).raw
    # A stronger hasher first: Django re-hashes the password at the next login.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    login = APIClient().post(
        "/api/auth/login", {"username": "ada", "password": PASSWORD}, format="json"
    )

    assert login.status_code == 200
    assert User.objects.get(pk=ada.pk).password.startswith("pbkdf2_")
    assert me_status(token) == 200


def test_a_deleted_users_refresh_token_is_401_not_500(ada):
    held = credentials(ada)
    User.objects.filter(pk=ada.pk).delete()
    assert refresh_status(held["refresh"]) == 401


# The cap and the throttle on new tokens


def post_token(client: APIClient, name: str = "t"):
    return client.post("/api/auth/tokens", {"name": name}, format="json")


def test_a_user_holds_at_most_api_tokens_per_user(ada, settings, api_client_for):
    settings.API_TOKENS_PER_USER = 3
    client = api_client_for(ada)
    statuses = [post_token(client, f"t{i}").status_code for i in range(4)]

    assert statuses == [201, 201, 201, 400]
    assert post_token(client).json() == {
        "detail": "You already have 3 personal tokens, the most allowed. "
        "Revoke one you no longer use first."
    }
    assert ApiToken.objects.filter(user=ada).count() == 3


def test_the_tokens_page_applies_the_same_cap(ada, settings):
    settings.API_TOKENS_PER_USER = 1
    api_token_create(user=ada, name="first", expires_days=None)
    client = Client()
    client.force_login(ada)

    response = client.post("/tokens", {"name": "second"})

    assert response.status_code == 400
    assert b"most allowed" in response.content
    assert ApiToken.objects.filter(user=ada).count() == 1


def test_a_revoked_token_frees_its_place(ada, settings, api_client_for):
    settings.API_TOKENS_PER_USER = 1
    client = api_client_for(ada)
    first = post_token(client).json()["id"]
    assert post_token(client).status_code == 400

    assert client.delete(f"/api/auth/tokens/{first}").status_code == 204
    assert post_token(client).status_code == 201


def test_making_tokens_is_throttled_across_api_and_page(ada, api_client_for):
    api = api_client_for(ada)
    page = Client()
    page.force_login(ada)
    statuses = [post_token(api, f"api{i}").status_code for i in range(15)]
    statuses += [page.post("/tokens", {"name": f"page{i}"}).status_code for i in range(15)]

    assert statuses == [201] * 15 + [302] * 15  # the page redirects to GET after each
    api_refused = post_token(api)
    page_refused = page.post("/tokens", {"name": "one more"})
    assert api_refused.status_code == 429 and int(api_refused["Retry-After"]) > 0
    assert page_refused.status_code == 429 and int(page_refused["Retry-After"]) > 0
    # Reading the list is not throttled.
    assert api.get("/api/auth/tokens").status_code == 200
