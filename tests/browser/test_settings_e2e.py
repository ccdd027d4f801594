"""End to end in headless Chromium: sign in, save ERPNext settings, test the connection."""

import shutil

import pytest

from openaec.accounts.models import User
from tests.factories import ERP_SECRET, PASSWORD, make_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium package is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's ORM calls are
    # still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(java_script_enabled=False)
        yield context.new_page()
        browser.close()


def test_sign_in_save_settings_and_test_connection(page, live_server, erpnext_double, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_NETWORKS = True
    make_user("eddie", role="editor")

    page.goto(f"{live_server.url}/login")
    page.fill("#id_username", "eddie")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/settings")

    page.fill("#id_erpnext_url", erpnext_double.url)
    page.fill("#id_erpnext_api_key", erpnext_double.api_key)
    page.fill("#id_erpnext_api_secret", erpnext_double.api_secret)
    page.click("button[name=save]")
    page.wait_for_selector("text=Settings saved.")
    assert page.input_value("#id_erpnext_api_secret") == ""
    assert "set" in page.inner_text("#erpnext-secret-status")
    assert ERP_SECRET not in page.content()

    page.click("#erpnext-test")
    result = page.wait_for_selector("#erpnext-test-result")
    assert "Connected as" in result.inner_text()
    assert erpnext_double.user in result.inner_text()
    page.screenshot(path=str(settings.MEDIA_ROOT.parent / "settings.png"))

    stored = User.objects.get(username="eddie")
    assert stored.erpnext_url == erpnext_double.url
    assert stored.erpnext_api_secret != erpnext_double.api_secret


def test_test_before_saving_keeps_what_was_typed(page, live_server, erpnext_double, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_NETWORKS = True
    make_user("eddie", role="editor")
    page.goto(f"{live_server.url}/login")
    page.fill("#id_username", "eddie")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/settings")

    # A wrong secret first: the page answers in a sentence and keeps URL and key.
    page.fill("#id_erpnext_url", erpnext_double.url + "/app/home")
    page.fill("#id_erpnext_api_key", erpnext_double.api_key)
    page.fill("#id_erpnext_api_secret", "not-the-secret")
    page.click("#erpnext-test")
    result = page.wait_for_selector("#erpnext-test-result")
    assert "ERPNext rejected the API key or secret (HTTP 401)" in result.inner_text()
    assert page.input_value("#id_erpnext_url") == erpnext_double.url
    assert page.input_value("#id_erpnext_api_key") == erpnext_double.api_key
    assert "You pasted the address of an ERPNext page" in page.content()

    # The right secret, tested before saving; then Save with the secret input left blank.
    page.fill("#id_erpnext_api_secret", erpnext_double.api_secret)
    page.click("#erpnext-test")
    result = page.wait_for_selector("#erpnext-test-result")
    assert "Connected as" in result.inner_text()
    assert page.input_value("#id_erpnext_api_secret") == ""
    assert "entered, not shown" in page.inner_text("#erpnext-secret-status")
    assert ERP_SECRET not in page.content()
    assert User.objects.get(username="eddie").erpnext_api_secret is None

    page.click("button[name=save]")
    page.wait_for_selector("text=Settings saved.")
    assert User.objects.get(username="eddie").erpnext_configured
    out = settings.MEDIA_ROOT.parent
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(out / "settings-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(out / "settings-phone.png"), full_page=True)


def test_token_copy_button_with_and_without_javascript(page, live_server, settings):
    make_user("eddie", role="editor")
    page.goto(f"{live_server.url}/login")
    page.fill("#id_username", "eddie")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/tokens")
    page.fill("#id_name", "nightly")
    page.click("form.card button[type=submit]")
    token = page.inner_text("#new-token")
    assert token.startswith("ifcgit_")
    # Without JavaScript the button stays hidden; the token is text to select.
    assert not page.is_visible("button[data-copy]")

    # With JavaScript (a second browser context) the button copies it.
    browser = page.context.browser
    context = browser.new_context(java_script_enabled=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    js_page = context.new_page()
    js_page.goto(f"{live_server.url}/login")
    js_page.fill("#id_username", "eddie")
    js_page.fill("#id_password", PASSWORD)
    js_page.click("button[type=submit]")
    js_page.goto(f"{live_server.url}/tokens")
    js_page.fill("#id_name", "other")
    js_page.click("form.card button[type=submit]")
    js_page.click("button[data-copy]")
    js_page.wait_for_selector("button[data-copy]:has-text('Copied')")
    assert js_page.evaluate("navigator.clipboard.readText()") == js_page.inner_text("#new-token")
    # Reloading shows no token and makes none.
    js_page.reload()
    assert not js_page.is_visible("#new-token")
    assert User.objects.get(username="eddie").api_tokens.count() == 2
    context.close()
