"""The Celery application, configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_site.settings")

app = Celery("fer_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The analysis tasks live in analysis/core/tasks.py (the app's core), not in a top-level tasks.py.
app.autodiscover_tasks(["analysis.core"])

# Connects the model warm-up to the worker signals (no effect in web processes, which send no such signal).
from fer_site import worker_signals  # noqa: E402,F401
