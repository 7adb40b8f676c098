"""The Celery application, configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_site.settings")

app = Celery("fer_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Finds ``tasks.py`` in every installed app.
app.autodiscover_tasks()

# Connects the model warm-up to the worker signals (no effect in web processes, which send no such signal).
from fer_site import worker_signals  # noqa: E402,F401
