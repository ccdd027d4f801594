import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from integrations import crypto
from openaec.accounts.models import User
from tests.factories import ERP_SECRET, NC_PASSWORD, make_user

pytestmark = pytest.mark.django_db

OLD_KEY = "old-secret-key-rotated-out-0123456789abcdef"
NEW_KEY = "new-secret-key-rotated-in-abcdef0123456789"


def test_fallback_key_still_decrypts_old_ciphertexts():
    with override_settings(SECRET_KEY=OLD_KEY):
        token = crypto.encrypt_secret(ERP_SECRET)
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        assert crypto.decrypt_secret(token) == ERP_SECRET
    with (
        override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]),
        pytest.raises(crypto.UndecryptableSecret),
    ):
        crypto.decrypt_secret(token)


@pytest.mark.parametrize("garbage", ["", "not-fernet", "gAAAAA" + "x" * 50, "é"])
def test_garbage_ciphertext_is_undecryptable_not_a_crash(garbage):
    with pytest.raises(crypto.UndecryptableSecret):
        crypto.decrypt_secret(garbage)


def test_rotate_reencrypts_with_current_key_and_counts(capsys):
    with override_settings(SECRET_KEY=OLD_KEY):
        make_user(
            "a",
            erpnext_api_secret=crypto.encrypt_secret(ERP_SECRET),
            nextcloud_password=crypto.encrypt_secret(NC_PASSWORD),
        )
        make_user("b", erpnext_api_secret=crypto.encrypt_secret(ERP_SECRET))
    make_user("c")

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        call_command("rotate_integration_secrets")
    assert "Re-encrypted 3 secret(s)" in capsys.readouterr().out

    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        for user in User.objects.exclude(erpnext_api_secret=None):
            assert crypto.decrypt_secret(user.erpnext_api_secret) == ERP_SECRET


def test_rotate_lists_rows_no_key_opens_and_fails():
    make_user("good", erpnext_api_secret=crypto.encrypt_secret(ERP_SECRET))
    with override_settings(SECRET_KEY="a-key-that-is-lost-forever-0123456789"):
        lost = crypto.encrypt_secret(ERP_SECRET)
    make_user("lost", erpnext_api_secret=lost)

    with pytest.raises(CommandError, match="lost"):
        call_command("rotate_integration_secrets")
    assert User.objects.get(username="lost").erpnext_api_secret == lost
