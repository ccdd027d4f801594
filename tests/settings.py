"""Test settings: production defaults (DEBUG off) with a throwaway key and plain HTTP."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("INTEGRATIONS_ALLOW_PRIVATE_NETWORKS", "false")
os.environ.setdefault("ERPNEXT_TIMEOUT", "2")

from openaec.settings import *  # noqa: F403

# Plain HTTP in tests: secure cookies would never be sent back by the test client or browser.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrent transactions then queue on the write lock as
    # in production, and a worker subprocess can open the same test database.
    # One file per test run, so two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("TEST_SQLITE_PATH")
        or os.path.join(tempfile.gettempdir(), f"openaec-test-{os.getpid()}.sqlite3")
    }
