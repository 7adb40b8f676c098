"""Examples of the token endpoints shown in the OpenAPI schema."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from fer_site.api.schema import error_example

INVALID_CREDENTIALS = error_example("Wrong password", "invalid_credentials", "Wrong username or password.")
TOKEN_REQUEST = OpenApiExample("Credentials", value={"username": "alice", "password": "…", "name": "laptop script"},
                               request_only=True)
TOKEN_RESPONSE = OpenApiExample(
    "New token",
    value={"id": 7, "name": "laptop script", "prefix": "fer_Xq3bZ9aL", "created_at": "2026-11-28T09:00:00Z",
           "last_used_at": None, "token": "fer_Xq3bZ9aLr0p…(shown once)"},
    response_only=True,
)
