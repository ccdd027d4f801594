"""The settings page as a new user meets it: test before saving, desk URLs, human sentences."""

import re

import pytest

from openaec.accounts.models import User
from tests.accounts.test_pages import settings_form as typed
from tests.factories import ERP_SECRET, PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_test_button_tries_the_typed_values_and_saves_nothing(
    client, editor, erpnext_double, allow_private
):
    client.force_login(editor)
    response = client.post(
        "/settings/erpnext/test",
        typed(
            erpnext_url=erpnext_double.url,
            erpnext_api_key=erpnext_double.api_key,
            erpnext_api_secret=ERP_SECRET,
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Connected as" in page and erpnext_double.user in page
    # What was typed stays in the form; the secret is kept server-side, never in the HTML.
    assert f'value="{erpnext_double.url}"' in page
    assert f'value="{erpnext_double.api_key}"' in page
    assert "entered, not shown" in page
    stored = User.objects.get(pk=editor.pk)
    assert stored.erpnext_url is None and stored.erpnext_api_secret is None

    # Save with the secret input blank keeps the secret that was typed and tested.
    client.post(
        "/settings",
        typed(erpnext_url=erpnext_double.url, erpnext_api_key=erpnext_double.api_key),
    )
    stored = User.objects.get(pk=editor.pk)
    assert stored.erpnext_configured
    assert "entered, not shown" not in client.get("/settings").content.decode()
    assert client.post("/settings/erpnext/test").content.decode().count("Connected as") == 1


def test_wrong_secret_reads_as_a_sentence_on_the_page(
    client, editor, erpnext_double, allow_private
):
    client.force_login(editor)
    response = client.post(
        "/settings/erpnext/test",
        typed(
            erpnext_url=erpnext_double.url,
            erpnext_api_key=erpnext_double.api_key,
            erpnext_api_secret="not-the-secret",
        ),
    )
    page = response.content.decode()
    assert "ERPNext rejected the API key or secret (HTTP 401)" in page
    assert "AuthenticationError" not in page and "exception" not in page


def test_api_keeps_the_contract_error_string(api_client_for, editor, erpnext_double, allow_private):
    editor.erpnext_url = erpnext_double.url
    editor.erpnext_api_key = erpnext_double.api_key
    editor.save()
    from integrations import crypto

    editor.erpnext_api_secret = crypto.encrypt_secret("not-the-secret")
    editor.save()
    body = api_client_for(editor).post("/api/auth/settings/erpnext/test").json()
    assert body["success"] is False
    assert body["error"].startswith("HTTP 401: ")


def test_pasted_desk_url_is_cut_back_to_the_site_with_a_note(client, editor):
    client.force_login(editor)
    response = client.post(
        "/settings", typed(erpnext_url="https://erp.example.com/app/home"), follow=True
    )
    assert User.objects.get(pk=editor.pk).erpnext_url == "https://erp.example.com"
    assert "You pasted the address of an ERPNext page" in response.content.decode()


def test_test_button_shows_the_cut_back_url(client, editor):
    client.force_login(editor)
    response = client.post(
        "/settings/erpnext/test",
        typed(erpnext_url="https://erp.example.com/app/project/PROJ-0001", erpnext_api_key="k"),
    )
    page = response.content.decode()
    assert 'value="https://erp.example.com"' in page
    assert "the site is https://erp.example.com" in page


def test_clear_checkbox_drops_a_typed_secret_too(client, editor, erpnext_double, allow_private):
    client.force_login(editor)
    client.post(
        "/settings/erpnext/test",
        typed(erpnext_url=erpnext_double.url, erpnext_api_key="k", erpnext_api_secret=ERP_SECRET),
    )
    response = client.post(
        "/settings/erpnext/test",
        typed(erpnext_url=erpnext_double.url, erpnext_api_key="k", erpnext_api_secret_clear="on"),
    )
    assert "ERPNext credentials not configured" in response.content.decode()


def test_typed_secret_is_not_in_the_session_in_clear(client, editor, erpnext_double, allow_private):
    client.force_login(editor)
    client.post(
        "/settings/erpnext/test",
        typed(erpnext_url=erpnext_double.url, erpnext_api_key="k", erpnext_api_secret=ERP_SECRET),
    )
    assert ERP_SECRET not in str(dict(client.session))


def test_viewer_is_told_why_the_form_is_greyed_out(client, viewer):
    client.force_login(viewer)
    page = client.get("/settings").content.decode()
    assert "disabled" in page
    assert "Your role is <strong>viewer</strong>" in page
    assert "ask an administrator" in page


@pytest.mark.parametrize(
    ("role", "configured", "lands_on"),
    [
        ("editor", False, "/settings"),
        ("editor", True, "/projects"),
        ("viewer", False, "/projects"),
    ],
)
def test_after_login_people_land_on_their_projects(client, role, configured, lands_on):
    fields = {}
    if configured:
        from integrations import crypto

        fields = {
            "erpnext_url": "https://erp.example.com",
            "erpnext_api_key": "k",
            "erpnext_api_secret": crypto.encrypt_secret("s"),
        }
    make_user("ada", role=role, **fields)
    response = client.post("/login", {"username": "ada", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == lands_on


def test_reloading_after_creating_a_token_makes_no_second_one(client, editor):
    client.force_login(editor)
    created = client.post("/tokens", {"name": "nightly", "expires_days": ""})
    assert created.status_code == 302 and created["Location"] == "/tokens"
    shown = client.get("/tokens").content.decode()
    raw = re.search(r'id="new-token">(ifcgit_[^<]+)<', shown).group(1)
    assert 'data-copy="new-token"' in shown
    # The reload is a GET: the token is gone from the page and no second one is made.
    again = client.get("/tokens").content.decode()
    assert raw not in again
    assert editor.api_tokens.count() == 1
    assert raw not in str(dict(client.session))


def test_invalid_token_form_is_a_400_with_the_reason(client, editor):
    client.force_login(editor)
    response = client.post("/tokens", {"name": "x", "expires_days": "99999"})
    assert response.status_code == 400
    assert not editor.api_tokens.exists()
