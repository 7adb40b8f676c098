"""OpenAPI pieces shared by every API endpoint: the token scheme, the error shape, and the error
responses and examples that many endpoints share (drf-spectacular). Imported by the API views,
which registers the authentication extension with them."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from fer_site.api.errors import error_body


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` (or `Bearer <key>`). Get a key from POST /api/v1/auth/token/ or your "
            "profile page.",
        }


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid_image, unknown_model, throttled.")
    message = serializers.CharField(help_text="For people.")
    details = serializers.DictField(help_text="Extra data: `fields` for validation_error, `retry_after` for "
                                    "throttled.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_example(name: str, code: str, message: str, details: dict | None = None) -> OpenApiExample:
    return OpenApiExample(name, value=error_body(code, message, details), response_only=True)


VALIDATION_ERROR = error_example(
    "Invalid field", "validation_error", "timeout: Ensure this value is less than or equal to 30.0.",
    {"fields": {"timeout": ["Ensure this value is less than or equal to 30.0."]}},
)
NOT_AUTHENTICATED = error_example("No credentials", "not_authenticated",
                                  "Authentication credentials were not provided.")
NOT_FOUND = error_example("Not found", "not_found", "Not found.")
THROTTLED = error_example("Throttled", "throttled", "Too many requests. Retry in 12 s.", {"retry_after": 12})

ERRORS_COMMON = {
    401: OpenApiResponse(ErrorSerializer, "Not authenticated", examples=[NOT_AUTHENTICATED]),
    429: OpenApiResponse(ErrorSerializer, "Throttled", examples=[THROTTLED]),
}
NOT_FOUND_RESPONSE = {404: OpenApiResponse(ErrorSerializer, "Not found (or another user's)", examples=[NOT_FOUND])}
BAD_PARAMS = {400: OpenApiResponse(ErrorSerializer, "Invalid parameters", examples=[VALIDATION_ERROR])}
