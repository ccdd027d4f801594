import hashlib
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from openaec.accounts.models import ApiToken, User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

USER_KEYS = {"id", "username", "email", "role"}


def register(client, username="ada", email=None, password=PASSWORD, path="/api/auth/register"):
    body = {"username": username, "email": email or f"{username}@example.com", "password": password}
    return client.post(path, body, format="json")


# register


def test_first_registered_user_is_admin_and_later_ones_viewers():
    client = APIClient()
    first = register(client, "ada")
    second = register(client, "bob")

    assert first.status_code == 201
    assert set(first.json()) == USER_KEYS
    assert first.json()["role"] == "admin"
    assert second.json()["role"] == "viewer"
    assert User.objects.get(username="bob").check_password(PASSWORD)
    ada, bob = User.objects.get(username="ada"), User.objects.get(username="bob")
    assert ada.is_staff and ada.is_superuser, "the first account can open /admin/"
    assert not (bob.is_staff or bob.is_superuser)


@pytest.mark.parametrize("path", ["/api/auth/register", "/api/auth/register/"])
def test_register_answers_with_and_without_trailing_slash(path):
    response = register(APIClient(), path=path)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("username", "email"), [("ada", "other@example.com"), ("other", "ADA@Example.com")]
)
def test_register_refuses_taken_username_or_email_case_insensitively(username, email):
    register(APIClient(), "ada", "ada@example.com")
    response = register(APIClient(), username, email)
    assert response.status_code == 400
    assert response.json() == {"detail": "Username or email already taken"}


@override_settings(ALLOW_REGISTRATION=False)
def test_register_is_403_when_registration_is_closed():
    response = register(APIClient())
    assert response.status_code == 403
    assert response.json() == {"detail": "Registration is closed"}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ada", "email": "not-an-email", "password": PASSWORD},
        {"username": "ada", "email": "ada@example.com", "password": "123"},
        {"username": 5, "email": "ada@example.com", "password": PASSWORD},
        {"username": "ada", "email": "ada@example.com"},
        ["ada"],
    ],
)
def test_register_rejects_bad_bodies_with_400(body):
    response = APIClient().post("/api/auth/register", body, format="json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_register_rejects_malformed_json_with_400():
    response = APIClient().post(
        "/api/auth/register", data=b'{"username": "ada",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_first_registrations_make_one_admin():
    barrier = threading.Barrier(2)
    results = []

    def go(name):
        barrier.wait()
        results.append(register(APIClient(), name).status_code)
        connection.close()

    threads = [threading.Thread(target=go, args=(name,)) for name in ("ada", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [201, 201]
    assert User.objects.filter(role="admin").count() == 1


# login and tokens


def test_login_returns_bearer_access_token_that_authenticates():
    make_user("ada")
    response = APIClient().post(
        "/api/auth/login", {"username": "ada", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert client.get("/api/auth/me").json()["username"] == "ada"


def test_login_with_wrong_password_is_401_invalid_credentials():
    make_user("ada")
    response = APIClient().post(
        "/api/auth/login", {"username": "ada", "password": "wrong"}, format="json"
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid credentials"}


def test_ten_failed_logins_lock_the_username_out_with_retry_after():
    make_user("ada")
    client = APIClient()
    for _ in range(10):
        client.post("/api/auth/login", {"username": "ada", "password": "x"}, format="json")

    response = client.post(
        "/api/auth/login", {"username": "ada", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600


def test_failed_logins_from_one_address_lock_out_other_usernames_too():
    make_user("ada")
    client = APIClient(REMOTE_ADDR="10.1.2.3")
    for i in range(10):
        client.post("/api/auth/login", {"username": f"guess{i}", "password": "x"}, format="json")

    blocked = client.post(
        "/api/auth/login", {"username": "ada", "password": PASSWORD}, format="json"
    )
    other_address = APIClient(REMOTE_ADDR="10.9.9.9").post(
        "/api/auth/login", {"username": "ada", "password": PASSWORD}, format="json"
    )

    assert blocked.status_code == 429
    assert other_address.status_code == 200


def test_simplejwt_pair_and_refresh_work():
    make_user("ada")
    pair = APIClient().post(
        "/api/auth/token", {"username": "ada", "password": PASSWORD}, format="json"
    )
    assert pair.status_code == 200
    assert set(pair.json()) == {"access", "refresh"}

    refreshed = APIClient().post(
        "/api/auth/token/refresh/", {"refresh": pair.json()["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200
    assert "access" in refreshed.json()


def test_login_refresh_token_refreshes_at_token_refresh():
    make_user("ada")
    login = APIClient().post(
        "/api/auth/login", {"username": "ada", "password": PASSWORD}, format="json"
    )
    response = APIClient().post(
        "/api/auth/token/refresh", {"refresh": login.json()["refresh_token"]}, format="json"
    )
    assert response.status_code == 200


def test_me_returns_exactly_the_user_shape(api_client_for, editor):
    body = api_client_for(editor).get("/api/auth/me/").json()
    assert body == {
        "id": str(editor.id),
        "username": "eddie",
        "email": "eddie@example.com",
        "role": "editor",
    }


@pytest.mark.parametrize(
    "header",
    [None, "Bearer not-a-jwt", "Bearer ifcgit_unknown", "Basic YWRhOmNvcnJlY3Q=", "Token abc"],
)
def test_me_without_valid_credentials_is_401_with_www_authenticate(header, admin_user):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


def test_session_auth_on_the_api_enforces_csrf(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get("/api/auth/me").status_code == 200
    response = client.put("/api/auth/settings", {"erpnext_api_key": "k"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# personal API tokens


def test_personal_token_is_shown_once_stored_hashed_and_accepted_as_bearer(api_client_for, editor):
    created = api_client_for(editor).post(
        "/api/auth/tokens", {"name": "script", "expires_days": 30}, format="json"
    )

    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "name", "token", "expires_at", "created_at"}
    assert body["token"].startswith("ifcgit_")
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in str(ApiToken.objects.values_list())

    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert script.get("/api/auth/me").json()["username"] == "eddie"

    listed = api_client_for(editor).get("/api/auth/tokens").json()
    assert listed == [{**body, "token": None}]


def test_deleted_token_no_longer_authenticates(api_client_for, editor):
    client = api_client_for(editor)
    body = client.post("/api/auth/tokens", {"name": "ci"}, format="json").json()

    assert client.delete(f"/api/auth/tokens/{body['id']}").status_code == 204

    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert script.get("/api/auth/me").status_code == 401


def test_expired_token_is_401(editor):
    from openaec.accounts.services import api_token_create

    new = api_token_create(user=editor, name="old", expires_days=1)
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=timezone.now() - timedelta(1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {new.raw}")
    assert client.get("/api/auth/me").status_code == 401


def test_deleting_someone_elses_token_is_404(api_client_for, editor, viewer):
    body = api_client_for(editor).post("/api/auth/tokens", {"name": "x"}, format="json").json()
    response = api_client_for(viewer).delete(f"/api/auth/tokens/{body['id']}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Token not found"}
    assert ApiToken.objects.filter(pk=body["id"]).exists()


@pytest.mark.parametrize("days", [0, 3651, "ten", 1.5])
def test_token_expiry_out_of_range_is_400(api_client_for, editor, days):
    response = api_client_for(editor).post(
        "/api/auth/tokens", {"name": "x", "expires_days": days}, format="json"
    )
    assert response.status_code == 400


def test_token_with_null_expiry_never_expires(api_client_for, editor):
    body = api_client_for(editor).post(
        "/api/auth/tokens", {"name": "x", "expires_days": None}, format="json"
    )
    assert body.status_code == 201
    assert body.json()["expires_at"] is None


def test_inactive_users_token_is_refused(editor):
    from openaec.accounts.services import api_token_create

    new = api_token_create(user=editor, name="x", expires_days=None)
    User.objects.filter(pk=editor.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {new.raw}")
    assert client.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize("username", ["x" * 300, "a\x00b", "two words\n"])
def test_failed_token_login_with_any_username_keeps_a_valid_cache_key(db, recwarn, username):
    from django.core.cache.backends.base import CacheKeyWarning

    response = APIClient().post(
        "/api/auth/token", {"username": username, "password": "wrong"}, format="json"
    )

    assert response.status_code in (400, 401)
    assert not [w for w in recwarn if issubclass(w.category, CacheKeyWarning)]
