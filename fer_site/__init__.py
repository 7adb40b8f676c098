"""Project package: settings, root URLs, ASGI application and Celery app."""

# Load the Celery app with Django so that @shared_task binds to it in every process.
from fer_site.celery_app import app as celery_app

__all__ = ("celery_app",)
