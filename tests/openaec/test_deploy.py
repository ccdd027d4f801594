"""Start-up safety: the development key is refused and `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The production environment the README's "Production" section gives.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7#Kq2!vR9zL@m4pW8sT1nB6yH3cF0dJ5gA-eU_iO+rXtZkV-Qm8Np3Lw",
    "ALLOWED_HOSTS": "bim.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://bim.example.com",
    "BEHIND_TLS_PROXY": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only what a fresh shell has: tests/settings.py put test values into os.environ.
    keep = ("PATH", "HOME", "LANG", "DATABASE_URL", "VIRTUAL_ENV")
    clean = {k: v for k, v in os.environ.items() if k in keep}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_server_refuses_to_start_on_the_development_key_with_debug_off():
    result = manage("check", env={"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_development_key_is_fine_in_debug():
    result = manage("check", env={"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_readme_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


LOGIN_AFTER_MIGRATE = """
from django.test import Client
from openaec.accounts.models import User
User.objects.create_user("ada", "ada@example.com", "a-long-enough-password-42")
client = Client()
def login(password):
    return client.post(
        "/api/auth/login", {"username": "ada", "password": password},
        content_type="application/json",
    ).status_code
print(login("wrong"), login("a-long-enough-password-42"))
"""


@pytest.mark.slow
def test_migrate_alone_leaves_a_server_whose_login_works(tmp_path):
    # What a container entrypoint runs: `migrate`, never `createcachetable`.
    env = {
        "DEBUG": "true",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr

    result = manage("shell", "-c", LOGIN_AFTER_MIGRATE, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["401", "200"]
