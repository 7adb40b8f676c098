"""REST API views under /api/v1/. Thin: serializers validate, services write, selectors read.

Every query starts from `request.user`: another user's analysis is a 404, exactly like one that
does not exist. Errors use the shape of `analysis.api.errors`.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection
from django.http import FileResponse, HttpResponse, JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, pagination, parsers, permissions, renderers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import api_tokens
from analysis import selectors, services, statistics
from analysis.annotate import annotated_jpeg
from analysis.api import examples, schema  # noqa: F401  (schema: registers the auth extension)
from analysis.api import serializers as s
from analysis.api.errors import APIError, error_body
from analysis.choices import UnknownChoice, check_detector, check_model, model_catalogue
from analysis.dispatch import QueueUnavailable
from analysis.history_filters import RangeFilterForm
from analysis.models import Analysis
from analysis.validation import InvalidUpload, check_image

logger = logging.getLogger(__name__)

MAX_FILES_PER_BATCH = 20
IN_PROCESS_MODES = ("thread", "eager")

ERRORS_COMMON = {
    401: OpenApiResponse(s.ErrorSerializer, "Not authenticated", examples=[examples.NOT_AUTHENTICATED]),
    429: OpenApiResponse(s.ErrorSerializer, "Throttled", examples=[examples.THROTTLED]),
}
NOT_FOUND = {404: OpenApiResponse(s.ErrorSerializer, "Not found (or another user's)", examples=[examples.NOT_FOUND])}
BAD_PARAMS = {400: OpenApiResponse(s.ErrorSerializer, "Invalid parameters", examples=[examples.VALIDATION_ERROR])}


# --- Authentication -------------------------------------------------------------------------------


class TokenObtainView(APIView):
    """Exchange a username and password for a new API token (django-axes lockouts apply)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        summary="Get an API token",
        request=s.TokenRequestSerializer,
        responses={
            201: s.NewTokenSerializer,
            400: OpenApiResponse(s.ErrorSerializer, "Wrong credentials or invalid fields",
                                 examples=[examples.INVALID_CREDENTIALS, examples.VALIDATION_ERROR]),
            429: OpenApiResponse(s.ErrorSerializer, "Locked out or throttled", examples=[examples.THROTTLED]),
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
            raise APIError("locked_out", "Too many failed sign-ins; try again later.", status_code=429)
        if user is None:
            raise APIError("invalid_credentials", "Wrong username or password.")
        try:
            new = api_tokens.token_create(user=user, name=params.validated_data.get("name", ""))
        except api_tokens.TokenLimitReached as exc:
            raise APIError(exc.code, str(exc)) from None
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
                   responses={204: None, **ERRORS_COMMON, **NOT_FOUND})
    def delete(self, request, token_id: int):
        if not api_tokens.token_revoke(user=request.user, token_id=token_id):
            raise APIError("not_found", "No such token among yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Analyses -------------------------------------------------------------------------------------


class AnalysisCursorPagination(pagination.CursorPagination):
    ordering = "-created_at"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # DRF answers 404 for a bad cursor; it is a bad parameter
            if isinstance(exc, APIError):
                raise
            raise APIError("invalid_cursor", "The cursor is invalid; use the `next`/`previous` links as given.",
                           details={"fields": {"cursor": ["Invalid cursor."]}}) from None


def _wait_until_finished(analysis: Analysis, timeout: float) -> Analysis:
    """Poll the row (a worker elsewhere processes it) until done/failed or `timeout` seconds.

    The connection goes back (to the pool, in the scaled profile) while the request sleeps, so
    fifty waiting uploads do not hold fifty database connections for up to 30 seconds each.
    """
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        current = Analysis.objects.filter(pk=analysis.pk).values_list("status", flat=True).first()
        if current is None or current in (Analysis.Status.DONE, Analysis.Status.FAILED):
            break
        if not connection.in_atomic_block:
            connection.close()
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 1.5, 0.25)
    return analysis


def _submit(request, upload, *, model: str | None, detector: str | None, wait: bool, timeout: float,
            deadline: float | None = None) -> tuple[int, Analysis]:
    """Check, store and (if asked) finish one upload. Returns (201 or 202, analysis).

    With `wait` in the in-process profiles the analysis is not queued: it is processed right here,
    in the request's thread after its row is committed, so no queue sits between the client and
    its answer (and no database lock is held during inference). With Celery the row is polled
    until it finishes or `timeout` runs out.
    """
    checked = check_image(upload)
    in_process = settings.FER_TASK_MODE in IN_PROCESS_MODES
    process_here = wait and in_process
    analysis = services.analysis_create(owner=request.user, image=checked, model=model, detector=detector,
                                        enqueue=not process_here)
    if process_here:
        services.analysis_process(analysis_id=analysis.id)
    elif wait:
        remaining = timeout if deadline is None else max(0.0, deadline - time.monotonic())
        _wait_until_finished(analysis, remaining)
    analysis = Analysis.objects.prefetch_related("faces").filter(pk=analysis.pk).first()
    if analysis is None:  # deleted by its owner while we waited
        raise APIError("not_found", "The analysis was deleted while waiting for it.")
    return (status.HTTP_201_CREATED if wait and analysis.is_finished else status.HTTP_202_ACCEPTED), analysis


QUERY_OPTIONS = ("model", "detector", "wait", "timeout")
QUERY_PARAMETERS = [
    OpenApiParameter("wait", bool, description="Same as the form field `wait` (either may be used)."),
    OpenApiParameter("timeout", float, description="Same as the form field `timeout`."),
]


def _options(request) -> dict:
    """Upload options from the form, or from the query string (`POST analyses/?wait=true`); the form wins."""
    options = {k: v for k, v in request.query_params.items() if k in QUERY_OPTIONS}
    options.update(request.data.dict())
    return options


def _check_choices(model: str | None, detector: str | None) -> None:
    check_model(model)
    check_detector(detector)


class AnalysisListCreateView(generics.GenericAPIView):
    serializer_class = s.AnalysisSerializer
    pagination_class = AnalysisCursorPagination
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_throttles(self):
        self.throttle_scope = "uploads" if self.request.method == "POST" else None
        return super().get_throttles()

    def get_queryset(self):
        params = s.AnalysisListFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        f = params.validated_data
        return selectors.analysis_filtered(
            owner=self.request.user, emotion=f.get("emotion"), model=f.get("model"), status=f.get("status"),
            created_from=f.get("created_after"), created_before=f.get("created_before"),
        ).prefetch_related("faces")

    @extend_schema(
        operation_id="analyses_list",
        tags=["analyses"],
        summary="List your analyses, newest first",
        parameters=[s.AnalysisListFilterSerializer],
        responses={200: s.AnalysisSerializer(many=True), **BAD_PARAMS, **ERRORS_COMMON},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="analyses_create",
        tags=["analyses"],
        summary="Analyse a photo",
        description=(
            "Upload one photo (multipart field `image`). Without `wait` the answer is 202 at once, with the "
            "analysis pending: poll its `url`. With `wait=true` the answer is 201 with the finished analysis "
            "(faces, boxes, probabilities) if it finishes within `timeout` seconds (default 10, at most 30), "
            "else 202. A photo without faces is a result (`face_count` 0), not an error. Uploads are "
            "throttled per user (scope `uploads`)."
        ),
        request={"multipart/form-data": s.AnalysisCreateSerializer},
        parameters=QUERY_PARAMETERS,
        responses={
            201: OpenApiResponse(s.AnalysisSerializer, "Finished within the wait", examples=[examples.ANALYSIS_DONE]),
            202: OpenApiResponse(s.AnalysisSerializer, "Accepted; poll `url`", examples=[examples.ANALYSIS_PENDING]),
            400: OpenApiResponse(s.ErrorSerializer, "Invalid image or parameters",
                                 examples=[examples.INVALID_IMAGE, examples.EMPTY_FILE, examples.UNKNOWN_MODEL,
                                           examples.VALIDATION_ERROR]),
            413: OpenApiResponse(s.ErrorSerializer, "Too large", examples=[examples.IMAGE_TOO_LARGE]),
            415: OpenApiResponse(s.ErrorSerializer, "Format not accepted", examples=[examples.UNSUPPORTED_FORMAT]),
            503: OpenApiResponse(s.ErrorSerializer, "The task queue or the database is unreachable or saturated "
                                 "(code `busy`); nothing was stored: retry after `Retry-After` seconds"),
            **ERRORS_COMMON,
        },
    )
    def post(self, request):
        if "image" not in request.FILES:
            raise APIError("no_file", "Send the photo as the multipart field `image`.",
                           details={"fields": {"image": ["No file was submitted."]}})
        params = s.AnalysisCreateSerializer(data=_options(request))
        params.is_valid(raise_exception=True)
        p = params.validated_data
        _check_choices(p.get("model"), p.get("detector"))
        code, analysis = _submit(request, p["image"], model=p.get("model"), detector=p.get("detector"),
                                 wait=p["wait"], timeout=p["timeout"])
        data = self.get_serializer(analysis).data
        return Response(data, status=code, headers={"Location": data["url"]})


class AnalysisBatchView(generics.GenericAPIView):
    serializer_class = s.AnalysisSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    throttle_scope = "uploads"

    @extend_schema(
        operation_id="analyses_batch_create",
        tags=["analyses"],
        summary="Analyse several photos; each gets its own result or its own error",
        description=(
            f"Several files in the multipart field `images` (at most {MAX_FILES_PER_BATCH}). The answer is 207 "
            "Multi-Status: `results` lists, in order, each file's own status and either its `analysis` or its "
            "`error`. One bad file never fails the others. `model`, `detector`, `wait` and `timeout` apply to "
            "all files (the wait is shared). Each file counts as one upload for throttling."
        ),
        request={"multipart/form-data": s.AnalysisBatchSerializer},
        parameters=QUERY_PARAMETERS,
        responses={
            207: OpenApiResponse(s.BatchResultSerializer, "One result per file", examples=[examples.BATCH_RESULT]),
            400: OpenApiResponse(s.ErrorSerializer, "No files, too many files or bad parameters",
                                 examples=[examples.UNKNOWN_MODEL]),
            **ERRORS_COMMON,
        },
    )
    def post(self, request):
        files = request.FILES.getlist("images")
        if not files:
            raise APIError("no_file", "Send the photos in the multipart field `images`.",
                           details={"fields": {"images": ["No file was submitted."]}})
        if len(files) > MAX_FILES_PER_BATCH:
            raise APIError("too_many_files", f"At most {MAX_FILES_PER_BATCH} files per batch; got {len(files)}.")
        params = s.AnalysisBatchSerializer(data={**_options(request), "images": files})
        params.is_valid(raise_exception=True)
        p = params.validated_data
        _check_choices(p.get("model"), p.get("detector"))  # shared by all files: a bad name fails the request
        deadline = time.monotonic() + p["timeout"]
        results = []
        for index, upload in enumerate(files):
            item = {"index": index, "name": (upload.name or "").rsplit("/", 1)[-1]}
            try:
                code, analysis = _submit(request, upload, model=p.get("model"), detector=p.get("detector"),
                                         wait=p["wait"] and time.monotonic() < deadline, timeout=p["timeout"],
                                         deadline=deadline)
            except (InvalidUpload, UnknownChoice, QueueUnavailable) as exc:
                item.update(status=getattr(exc, "status", 400), **error_body(exc.code, exc.message))
            else:
                item.update(status=code, analysis=self.get_serializer(analysis).data)
            results.append(item)
        return Response({"results": results}, status=status.HTTP_207_MULTI_STATUS)


class AnalysisDetailView(generics.GenericAPIView):
    serializer_class = s.AnalysisSerializer

    def get_object(self) -> Analysis:
        analysis = selectors.analysis_get(owner=self.request.user, analysis_id=self.kwargs["analysis_id"])
        return analysis

    @extend_schema(operation_id="analyses_retrieve", tags=["analyses"], summary="One analysis with its faces",
                   responses={200: OpenApiResponse(s.AnalysisSerializer, "The analysis",
                                                   examples=[examples.ANALYSIS_DONE]),
                              **ERRORS_COMMON, **NOT_FOUND})
    def get(self, request, analysis_id):
        analysis = self.get_object()
        return Response(self.get_serializer(analysis).data)

    @extend_schema(operation_id="analyses_destroy", tags=["analyses"],
                   summary="Delete an analysis, its faces and its files",
                   responses={204: None, **ERRORS_COMMON, **NOT_FOUND})
    def delete(self, request, analysis_id):
        analysis = self.get_object()
        services.analysis_delete(owner=request.user, ids=[analysis.id])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImageRenderer(renderers.BaseRenderer):
    """Lets clients ask for the downloads with `Accept: image/*`; errors are still rendered as JSON."""

    media_type = "image/*"
    format = "image"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class _DownloadView(APIView):
    renderer_classes = [renderers.JSONRenderer, ImageRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):  # an error: always JSON, whatever Accept said
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


DOWNLOAD_RESPONSES = {
    (200, "image/jpeg"): OpenApiResponse(bytes, "The image"),
    (200, "image/png"): OpenApiResponse(bytes, "The image (PNG uploads)"),
    (200, "image/webp"): OpenApiResponse(bytes, "The image (WebP uploads)"),
}


class AnalysisPhotoView(_DownloadView):
    @extend_schema(operation_id="analyses_photo", tags=["analyses"], summary="Download the original photo",
                   description="404 with code `photo_not_kept` when the owner chose not to keep photos.",
                   responses={**DOWNLOAD_RESPONSES,
                              404: OpenApiResponse(s.ErrorSerializer, "Not found or not kept",
                                                   examples=[examples.NOT_FOUND, examples.PHOTO_NOT_KEPT]),
                              **ERRORS_COMMON})
    def get(self, request, analysis_id):
        analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
        if not analysis.photo:
            raise APIError("photo_not_kept", "The original photo was not kept (photos are deleted once analysed).")
        try:
            handle = analysis.photo.open("rb")
        except OSError:
            raise APIError("photo_not_kept", "The original photo is no longer stored.") from None
        content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}.get(analysis.image_format)
        response = FileResponse(handle, filename=analysis.original_name, content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response


class AnalysisAnnotatedView(_DownloadView):
    @extend_schema(operation_id="analyses_annotated", tags=["analyses"],
                   summary="Download the photo with boxes and labels drawn (JPEG)",
                   responses={(200, "image/jpeg"): OpenApiResponse(bytes, "The annotated JPEG"),
                              404: OpenApiResponse(s.ErrorSerializer, "Not found, not done or photo not kept",
                                                   examples=[examples.NOT_FOUND, examples.PHOTO_NOT_KEPT]),
                              **ERRORS_COMMON})
    def get(self, request, analysis_id):
        analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
        if not analysis.photo:
            raise APIError("photo_not_kept", "The original photo was not kept, so there is nothing to draw on.")
        if analysis.status != Analysis.Status.DONE:
            raise APIError("not_ready", f"The analysis is {analysis.status}; the annotated photo exists once done.",
                           status_code=404)
        try:
            data = annotated_jpeg(analysis)
        except OSError:
            raise APIError("photo_not_kept", "The original photo is no longer stored.") from None
        stem = analysis.original_name.rsplit(".", 1)[0].replace('"', "")
        response = HttpResponse(data, content_type="image/jpeg")
        response["Content-Disposition"] = f'inline; filename="{stem}-annotated.jpg"'
        response["Cache-Control"] = "private, no-store"
        return response


# --- Statistics and models ------------------------------------------------------------------------


class StatsView(APIView):
    @extend_schema(
        operation_id="stats_retrieve",
        tags=["statistics"],
        summary="Your statistics for a date range (the statistics page's figures)",
        parameters=[s.StatsQuerySerializer],
        responses={200: OpenApiResponse(s.StatsSerializer, "Statistics", examples=[examples.STATS]),
                   **BAD_PARAMS, **ERRORS_COMMON},
    )
    def get(self, request):
        params = s.StatsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        form = RangeFilterForm({k: str(v) for k, v in params.validated_data.items()}, default_period="30")
        date_range = form.date_range()
        owner = request.user
        first, last = statistics.data_span(owner=owner, date_range=date_range)
        group = form.resolve_group(date_range, first, last)
        over_time = statistics.emotions_over_time(owner=owner, date_range=date_range, group=group)
        data = {
            "range": {"start": date_range.start, "end": date_range.end, "period": date_range.period,
                      "description": date_range.describe()},
            "headline": statistics.headline(owner=owner, date_range=date_range),
            "per_emotion": statistics.emotion_summary(owner=owner, date_range=date_range),
            "per_model": statistics.model_comparison(owner=owner, date_range=date_range),
            "over_time": {"group": over_time.group, "periods": over_time.periods, "series": over_time.series,
                          "totals": over_time.totals},
        }
        return Response(s.StatsSerializer(data).data)


class ModelListView(APIView):
    @extend_schema(operation_id="models_list", tags=["models"], summary="Models you can choose, with their figures",
                   responses={200: OpenApiResponse(s.ModelInfoSerializer(many=True), "Models",
                                                   examples=[examples.MODELS]),
                              **ERRORS_COMMON})
    def get(self, request):
        rows = [
            {
                "name": m["name"], "arch": m.get("arch") or "", "description": m.get("description") or "",
                "input": m.get("input") or {}, "accuracy": m.get("accuracy"), "per_class": m.get("per_class"),
                "metrics": m.get("metrics") or {}, "default": bool(m.get("default")),
            }
            for m in model_catalogue()
        ]
        return Response(s.ModelInfoSerializer(rows, many=True).data)


def api_not_found(request, unmatched: str = "") -> HttpResponse:
    """Unknown paths under /api/v1/ answer in the API's error shape too."""
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}."), status=404)
