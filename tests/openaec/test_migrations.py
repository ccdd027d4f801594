import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db
def test_makemigrations_check_is_clean():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_integration_columns_have_the_contract_types():
    with connection.cursor() as cursor:
        columns = {
            c.name: c for c in connection.introspection.get_table_description(cursor, "users")
        }
    expected_text = {"erpnext_api_secret", "nextcloud_password"}
    lengths = {
        "erpnext_url": 512,
        "erpnext_api_key": 512,
        "nextcloud_url": 512,
        "nextcloud_username": 255,
    }
    for name in expected_text | set(lengths):
        assert columns[name].null_ok, name
    if connection.vendor != "postgresql":
        pytest.skip("column types are checked on PostgreSQL (DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns"
            " WHERE table_name = 'users'"
        )
        types = {name: (kind, length) for name, kind, length in cursor.fetchall()}
    for name, length in lengths.items():
        assert types[name] == ("character varying", length)
    for name in expected_text:
        assert types[name] == ("text", None)


def test_integration_columns_come_from_migration_0002():
    from importlib import import_module

    migration = import_module("openaec.accounts.migrations.0002_add_integration_fields").Migration
    added = {op.name for op in migration.operations}
    assert added == {
        "erpnext_url",
        "erpnext_api_key",
        "erpnext_api_secret",
        "nextcloud_url",
        "nextcloud_username",
        "nextcloud_password",
    }
