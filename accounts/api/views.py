"""Token endpoints of the REST API (`/api/v1/auth/...`): get a token with a password, list and revoke yours."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, parsers, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import api_tokens
from accounts.api import examples
from accounts.api import serializers as s
from fer_site.api.errors import APIError
from fer_site.api.parsers import MultiPartParser
from fer_site.api.schema import ERRORS_COMMON, NOT_FOUND_RESPONSE, THROTTLED, VALIDATION_ERROR, ErrorSerializer


class TokenObtainView(APIView):
    """Exchange a username and password for a new API token (django-axes lockouts apply)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [parsers.JSONParser, parsers.FormParser, MultiPartParser]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        summary="Get an API token",
        request=s.TokenRequestSerializer,
        responses={
            201: s.NewTokenSerializer,
            400: OpenApiResponse(ErrorSerializer, "Invalid fields", examples=[VALIDATION_ERROR]),
            401: OpenApiResponse(ErrorSerializer, "Wrong username or password",
                                 examples=[examples.INVALID_CREDENTIALS]),
            429: OpenApiResponse(ErrorSerializer, "Locked out or throttled", examples=[THROTTLED]),
        },
        examples=[examples.TOKEN_REQUEST, examples.TOKEN_RESPONSE],
        auth=[],
    )
    def post(self, request):
        params = s.TokenRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        django_request = request._request  # django-axes tracks failures on the Django request
        user = authenticate(request=django_request, username=params.validated_data["username"],
                            password=params.validated_data["password"])
        if getattr(django_request, "axes_locked_out", False):
            # Answer in the API's own shape; AxesMiddleware would otherwise swap in its HTML page.
            django_request.axes_locked_out = False
            raise APIError("locked_out", _("Too many failed sign-ins; try again later."), status_code=429)
        if user is None:
            raise APIError("invalid_credentials", _("Wrong username or password."))  # 401, like any failed sign-in
        new = api_tokens.token_create(user=user, name=params.validated_data.get("name", ""))
        data = {**s.TokenSerializer(new.token).data, "token": new.key}
        return Response(data, status=status.HTTP_201_CREATED)


class TokenListView(generics.ListAPIView):
    serializer_class = s.TokenSerializer
    pagination_class = None

    def get_queryset(self):
        return api_tokens.token_list(user=self.request.user)

    @extend_schema(tags=["auth"], summary="List your API tokens (keys are never shown again)",
                   responses={200: s.TokenSerializer(many=True), **ERRORS_COMMON})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TokenDetailView(APIView):
    @extend_schema(tags=["auth"], summary="Revoke one of your API tokens",
                   responses={204: None, **ERRORS_COMMON, **NOT_FOUND_RESPONSE})
    def delete(self, request, token_id: int):
        if not api_tokens.token_revoke(user=request.user, token_id=token_id):
            raise APIError("not_found", _("No such token among yours."))
        return Response(status=status.HTTP_204_NO_CONTENT)
