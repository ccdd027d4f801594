"""Settings for benchmark servers: production settings plus a bare baseline endpoint."""

import os
import warnings

os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnop")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from openaec.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

warnings.filterwarnings("ignore", message="No directory at")  # static files are not served here
