"""WSGI entry point, for tools that expect one. The platform itself runs under ASGI (daphne)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_site.settings")

application = get_wsgi_application()
