"""Start-up refuses unsafe production settings; security settings come from the environment."""

import json

import pytest

from tests.subprocess_env import clean_env, run_python

pytestmark = pytest.mark.slow


def test_debug_off_without_secret_key_refuses_to_start(tmp_path):
    result = run_python("manage.py", "check", env=clean_env(DEBUG="0", ALLOWED_HOSTS="fer.example.com"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    result = run_python("manage.py", "check", env=clean_env(DEBUG="0", SECRET_KEY="x" * 50))

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set in the environment when DEBUG is off" in result.stderr


def test_scaled_environment_defaults_to_debug_off(tmp_path):
    # DATABASE_URL without DEBUG: a scaled deployment, so the secret is required.
    env = clean_env(DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    result = run_python("manage.py", "check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_security_settings_read_from_environment():
    env = clean_env(
        DEBUG="0",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="fer.example.com,www.fer.example.com",
        CSRF_TRUSTED_ORIGINS="https://fer.example.com",
        SESSION_COOKIE_SECURE="1",
        CSRF_COOKIE_SECURE="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_SSL_REDIRECT="on",
    )
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'origins': s.CSRF_TRUSTED_ORIGINS,"
        "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        "'hsts': s.SECURE_HSTS_SECONDS, 'ssl_redirect': s.SECURE_SSL_REDIRECT}))"
    )
    result = run_python("manage.py", "shell", "-c", code, env=env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "debug": False,
        "hosts": ["fer.example.com", "www.fer.example.com"],
        "origins": ["https://fer.example.com"],
        "session_secure": True,
        "csrf_secure": True,
        "hsts": 31536000,
        "ssl_redirect": True,
    }
