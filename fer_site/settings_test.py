"""Settings for the test suite: the real settings with a fast password hasher and plain static files.

Argon2 is deliberately slow (that is its job), and the suite creates hundreds of accounts. Tests
that check the production hashing itself put `fer_site.settings.PASSWORD_HASHERS` back.
Static files come from the source folders without a manifest (DEBUG is off, and the suite does not
run collectstatic; tests of the manifest start a server that does).
Processes the suite starts (daphne, Celery workers) run with the real settings.
"""

from fer_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FER_SERVER_WARMUP = False  # tests that import the ASGI app should not load models in the background

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
