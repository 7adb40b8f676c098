"""The OpenAPI schema: generated without warnings, served with offline docs, and fuzzed by schemathesis."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from accounts.api_tokens import token_create
from tests.analysis_factories import make_analysis

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning (unresolvable field, missing extension...) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "openapi: 3" in text and "/api/v1/analyses/batch/" in text and "tokenAuth" in text


def test_schema_and_docs_are_served_without_internet(anon):
    schema = anon.get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "FER platform API"
    for path in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = anon.get(path).content.decode()
        assert "drf_spectacular_sidecar" in page  # assets from the sidecar package, not a CDN
        assert "cdn.jsdelivr" not in page and "unpkg.com" not in page


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors(user, settings):
    """Property-based requests against every operation, authenticated: never a 5xx."""
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings
    from schemathesis.checks import not_a_server_error

    settings.ALLOWED_HOSTS = ["*"]
    settings.FER_UPLOAD_RATE = "100000/min"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"user": "100000/min", "anon": "100000/min"}}
    key = token_create(user=user).key
    for _ in range(3):
        make_analysis(user, faces=["happy", "sad"], photo=True)
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    budget_end = time.monotonic() + 45
    for operation in operations:
        if time.monotonic() > budget_end:
            break

        @hypothesis_settings(max_examples=10, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers={"Authorization": f"Token {key}"})
            case.validate_response(response, checks=[not_a_server_error])

        check()
