"""Production-safe by default: DEBUG off, a private generated secret key and localhost only in the
embedded profile (`./run`); the scaled profile refuses to start without SECRET_KEY and ALLOWED_HOSTS;
security settings come from the environment."""

import json
import re
import stat
import urllib.error
import urllib.request

import pytest

from tests.scaled.harness import start_web
from tests.subprocess_env import clean_env, run_python

pytestmark = pytest.mark.slow

PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SHOW_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'key': s.SECRET_KEY}))"
)


def shown_settings(env: dict[str, str]) -> dict:
    result = run_python("manage.py", "shell", "-c", SHOW_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_profile_is_production_safe_by_default(tmp_path):
    first = shown_settings(clean_env(FER_DATA_DIR=str(tmp_path)))
    second = shown_settings(clean_env(FER_DATA_DIR=str(tmp_path)))

    assert first["debug"] is False
    assert set(first["hosts"]) == {"localhost", ".localhost", "127.0.0.1", "[::1]"}
    key_file = tmp_path / "secret-key"
    assert first["key"] == key_file.read_text().strip() == second["key"]  # generated once, then kept
    assert len(first["key"]) >= 50 and "insecure" not in first["key"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_loose_key_file_is_made_private(tmp_path):
    key_file = tmp_path / "secret-key"
    key_file.write_text("s" * 60)
    key_file.chmod(0o644)

    assert shown_settings(clean_env(FER_DATA_DIR=str(tmp_path)))["key"] == "s" * 60
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_debug_stays_available_for_development(tmp_path):
    assert shown_settings(clean_env(FER_DATA_DIR=str(tmp_path), DEBUG="1"))["debug"] is True


def test_scaled_profile_without_secret_key_refuses_to_start(tmp_path):
    env = clean_env(DATABASE_URL=PG_URL, ALLOWED_HOSTS="fer.example.com", FER_DATA_DIR=str(tmp_path))
    result = run_python("manage.py", "check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set in the environment in the scaled profile" in result.stderr
    assert not (tmp_path / "secret-key").exists()  # hosts must share one key: none is made up


def test_scaled_profile_without_allowed_hosts_refuses_to_start(tmp_path):
    env = clean_env(DATABASE_URL=PG_URL, SECRET_KEY="x" * 50, FER_DATA_DIR=str(tmp_path))
    result = run_python("manage.py", "check", env=env)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set in the environment in the scaled profile" in result.stderr


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


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_embedded_server_like_run_shows_no_technical_pages_and_serves_static(tmp_path):
    """What `./run` does (migrate, collectstatic, daphne) with nothing set."""
    env = clean_env(FER_DATA_DIR=str(tmp_path))
    for command in (("migrate", "--noinput", "-v0"), ("collectstatic", "--noinput", "-v0")):
        result = run_python("manage.py", *command, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
    web, port = start_web(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        missing_status, missing = _fetch(base + "/no-such-page/")
        landing_status, landing = _fetch(base + "/")
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', landing)
        css_status, css = _fetch(base + stylesheet.group(1)) if stylesheet else (None, "")
    finally:
        web.stop()

    assert missing_status == 404 and "There is nothing here" in missing
    assert "URLconf" not in missing and "admin/" not in missing  # Django's technical 404 lists every pattern
    assert landing_status == 200 and stylesheet, landing[:1000]  # hashed names from collectstatic's manifest
    assert css_status == 200 and "--accent" in css
