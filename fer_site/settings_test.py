"""Settings for the test suite: the real settings with a fast password hasher.

Argon2 is deliberately slow (that is its job), and the suite creates hundreds of accounts. Tests
that check the production hashing itself put `fer_site.settings.PASSWORD_HASHERS` back.
Processes the suite starts (daphne, Celery workers) run with the real settings.
"""

from fer_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FER_SERVER_WARMUP = False  # tests that import the ASGI app should not load models in the background
