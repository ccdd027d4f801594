"""WSGI entry point (gunicorn openaec.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openaec.settings")

application = get_wsgi_application()
