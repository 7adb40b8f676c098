"""Analysis endpoints under /api/v1/analyses/. Thin: serializers validate, core services write,
selectors read, the upload service checks, stores and starts photos for the page and the API alike.

Every query starts from `request.user`: another user's analysis is a 404, exactly like one that
does not exist. Errors use the shape of `fer_site.api.errors`.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, negotiation, pagination, parsers, renderers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from analysis.api import examples
from analysis.api import serializers as s
from analysis.core import downloads, explain, selectors, services
from analysis.core.uploads import MAX_FILES_PER_REQUEST, UploadOutcome, check_file_count, upload_photos
from analysis.models import Analysis
from fer_site.api.errors import APIError, error_body
from fer_site.api.parsers import MultiPartParser
from fer_site.api.schema import BAD_PARAMS, ERRORS_COMMON, NOT_FOUND, NOT_FOUND_RESPONSE, ErrorSerializer


class AnalysisCursorPagination(pagination.CursorPagination):
    ordering = "-created_at"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # a 404 as DRF's, with our code: a cursor is opaque, so like an unknown id
            if isinstance(exc, APIError):
                raise
            raise APIError("invalid_cursor", _("No page at this cursor; use the `next`/`previous` links as given."),
                           details={"fields": {"cursor": [_("Invalid cursor.")]}}) from None

    def get_page_size(self, request) -> int:
        """The schema's 1..max_page_size, strictly (DRF falls back to the default size for anything else)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = int(raw) if raw.isascii() and raw.isdigit() else 0
        if not 1 <= size <= self.max_page_size:
            message = _("A whole number from 1 to %(max)s.") % {"max": self.max_page_size}
            raise APIError("validation_error", "page_size: " + message, details={"fields": {"page_size": [message]}})
        return size

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


# A list's answer to a cursor it did not hand out (analyses and videos are paged the same way).
CURSOR_NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, "No page at this cursor (code `invalid_cursor`)",
                                         examples=[examples.INVALID_CURSOR])}


QUERY_OPTIONS = ("model", "detector", "wait", "timeout")
QUERY_PARAMETERS = [
    OpenApiParameter("wait", bool, description="Same as the form field `wait` (either may be used)."),
    OpenApiParameter("timeout", {"type": "number", "minimum": 0, "maximum": s.MAX_WAIT_SECONDS},
                     description="Same as the form field `timeout`."),
]


def _options(request) -> dict:
    """Upload options from the form, or from the query string (`POST analyses/?wait=true`); the form wins, but a
    bad query value is an error either way."""
    options = {k: v for k, v in request.query_params.items() if k in QUERY_OPTIONS}
    s.UploadQuerySerializer(data=options).is_valid(raise_exception=True)
    options.update(request.data.dict())
    return options


def _upload(request, files: list, params: dict) -> list[UploadOutcome]:
    return upload_photos(owner=request.user, files=files, model=params.get("model"),
                         detector=params.get("detector"), wait_s=params["timeout"] if params["wait"] else None,
                         models=params.get("models"))


def _status_of(outcome: UploadOutcome, waited: bool) -> int:
    """201 when the client waited and the analysis finished, else 202; a refused file has its error's status."""
    if outcome.error is not None:
        return outcome.error.status
    return status.HTTP_201_CREATED if waited and outcome.analysis.is_finished else status.HTTP_202_ACCEPTED


class AnalysisListCreateView(generics.GenericAPIView):
    serializer_class = s.AnalysisSerializer
    pagination_class = AnalysisCursorPagination
    parser_classes = [MultiPartParser, parsers.FormParser]

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
        responses={200: s.AnalysisSerializer(many=True), **BAD_PARAMS, **ERRORS_COMMON,
                   **CURSOR_NOT_FOUND},
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
            "limited per user (`FER_UPLOAD_RATE`, shared with the upload page; each file counts): 429 `throttled`. "
            "With `models=vgg16,resnet50` (or `all`) every face is also classified by each of those models on the "
            "same crop and carries `predictions: {model: {emotion, confidence, probabilities}}`; an unknown name is "
            "400 `unknown_model` and nothing is stored."
        ),
        request={"multipart/form-data": s.AnalysisCreateSerializer},
        parameters=QUERY_PARAMETERS,
        responses={
            201: OpenApiResponse(s.AnalysisSerializer, "Finished within the wait",
                                 examples=[examples.ANALYSIS_DONE, examples.ANALYSIS_COMPARED]),
            202: OpenApiResponse(s.AnalysisSerializer, "Accepted; poll `url`", examples=[examples.ANALYSIS_PENDING]),
            400: OpenApiResponse(ErrorSerializer, "Invalid image or parameters",
                                 examples=[examples.INVALID_IMAGE, examples.EMPTY_FILE, examples.UNKNOWN_MODEL]),
            413: OpenApiResponse(ErrorSerializer, "Too large", examples=[examples.IMAGE_TOO_LARGE]),
            415: OpenApiResponse(ErrorSerializer, "Format not accepted", examples=[examples.UNSUPPORTED_FORMAT]),
            503: OpenApiResponse(ErrorSerializer, "The task queue or the database is unreachable or saturated "
                                 "(code `busy`); nothing was stored: retry after `Retry-After` seconds"),
            **ERRORS_COMMON,
        },
    )
    def post(self, request):
        if "image" not in request.FILES:
            raise APIError("no_file", _("Send the photo as the multipart field `image`."),
                           details={"fields": {"image": [_("No file was submitted.")]}})
        params = s.AnalysisCreateSerializer(data=_options(request))
        params.is_valid(raise_exception=True)
        p = params.validated_data
        (outcome,) = _upload(request, [p["image"]], p)
        if outcome.error is not None:
            raise outcome.error
        data = self.get_serializer(outcome.analysis).data
        return Response(data, status=_status_of(outcome, p["wait"]), headers={"Location": data["url"]})


class AnalysisBatchView(generics.GenericAPIView):
    serializer_class = s.AnalysisSerializer
    parser_classes = [MultiPartParser, parsers.FormParser]

    @extend_schema(
        operation_id="analyses_batch_create",
        tags=["analyses"],
        summary="Analyse several photos; each gets its own result or its own error",
        description=(
            f"Several files in the multipart field `images` (at most {MAX_FILES_PER_REQUEST}). The answer is 207 "
            "Multi-Status: `results` lists, in order, each file's own status and either its `analysis` or its "
            "`error`. One bad file never fails the others. `model`, `detector`, `wait` and `timeout` apply to "
            "all files (the wait is shared). Each file counts as one upload against the per-user upload rate."
        ),
        request={"multipart/form-data": s.AnalysisBatchSerializer},
        parameters=QUERY_PARAMETERS,
        responses={
            207: OpenApiResponse(s.BatchResultSerializer, "One result per file", examples=[examples.BATCH_RESULT]),
            400: OpenApiResponse(ErrorSerializer, "No files, too many files or bad parameters",
                                 examples=[examples.UNKNOWN_MODEL]),
            **ERRORS_COMMON,
        },
    )
    def post(self, request):
        files = request.FILES.getlist("images")
        if not files:
            raise APIError("no_file", _("Send the photos in the multipart field `images`."),
                           details={"fields": {"images": [_("No file was submitted.")]}})
        check_file_count(len(files))  # too_many_files, before the serializer's generic maxItems error
        params = s.AnalysisBatchSerializer(data={**_options(request), "images": files})
        params.is_valid(raise_exception=True)
        p = params.validated_data
        results = []
        for index, outcome in enumerate(_upload(request, files, p)):
            item = {"index": index, "name": outcome.name, "status": _status_of(outcome, p["wait"])}
            if outcome.error is not None:
                item.update(error_body(outcome.error.code, outcome.error.message))
            else:
                item["analysis"] = self.get_serializer(outcome.analysis).data
            results.append(item)
        return Response({"results": results}, status=status.HTTP_207_MULTI_STATUS)


class AnalysisDetailView(generics.GenericAPIView):
    serializer_class = s.AnalysisSerializer

    def get_object(self) -> Analysis:
        return selectors.analysis_get(owner=self.request.user, analysis_id=self.kwargs["analysis_id"])

    @extend_schema(operation_id="analyses_retrieve", tags=["analyses"], summary="One analysis with its faces",
                   responses={200: OpenApiResponse(s.AnalysisSerializer, "The analysis",
                                                   examples=[examples.ANALYSIS_DONE]),
                              **ERRORS_COMMON, **NOT_FOUND_RESPONSE})
    def get(self, request, analysis_id):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(operation_id="analyses_destroy", tags=["analyses"],
                   summary="Delete an analysis, its faces and its files",
                   responses={204: None, **ERRORS_COMMON, **NOT_FOUND_RESPONSE})
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


class _FormatNegotiation(negotiation.DefaultContentNegotiation):
    """`?format=` given empty is an unknown format (404, as DRF answers for any other), not "no format": the
    schema lists `image` and `json` only."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) == "":
            raise Http404(_("No such format: use format=image or format=json, or an Accept header."))
        return super().select_renderer(request, renderers, format_suffix)


class _DownloadView(APIView):
    renderer_classes = [renderers.JSONRenderer, ImageRenderer]
    content_negotiation_class = _FormatNegotiation

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
                              404: OpenApiResponse(ErrorSerializer, "Not found or not kept",
                                                   examples=[NOT_FOUND, examples.PHOTO_NOT_KEPT]),
                              **ERRORS_COMMON})
    def get(self, request, analysis_id):
        analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
        return downloads.photo_response(analysis)


class AnalysisAnnotatedView(_DownloadView):
    @extend_schema(operation_id="analyses_annotated", tags=["analyses"],
                   summary="Download the photo with boxes and labels drawn (JPEG)",
                   responses={(200, "image/jpeg"): OpenApiResponse(bytes, "The annotated JPEG"),
                              404: OpenApiResponse(ErrorSerializer, "Not found, not done or photo not kept",
                                                   examples=[NOT_FOUND, examples.PHOTO_NOT_KEPT]),
                              **ERRORS_COMMON})
    def get(self, request, analysis_id):
        analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)
        return downloads.annotated_response(analysis, as_attachment=False)


class AnalysisFaceHeatmapView(_DownloadView):
    @extend_schema(
        operation_id="analyses_face_heatmap", tags=["analyses"],
        summary="Grad-CAM heatmap of one face for one model (PNG)",
        description=(
            "Where the model's score for the emotion it predicts on this face is most sensitive (Grad-CAM on its "
            "last convolutional layer), drawn over the grey face crop the model saw. Computed on the first request "
            "and cached until the analysis or its photo is deleted. `index` is the face's `index`. A coarse map "
            "(3x3 to 6x6 cells, upsampled) of where the gradient is large, not an explanation of why: see the "
            "caveats in docs/explain.md. An ensemble's map is the weighted mean of its members' maps."
        ),
        parameters=[s.HeatmapQuerySerializer,
                    OpenApiParameter("index", {"type": "integer", "minimum": 0}, OpenApiParameter.PATH)],
        responses={(200, "image/png"): OpenApiResponse(bytes, "The heatmap over the face crop"),
                   400: OpenApiResponse(ErrorSerializer, "Unknown model (code `unknown_model`)",
                                        examples=[examples.UNKNOWN_MODEL]),
                   404: OpenApiResponse(ErrorSerializer, "No such analysis or face, not done, or photo not kept",
                                        examples=[NOT_FOUND, examples.PHOTO_NOT_KEPT]),
                   503: OpenApiResponse(ErrorSerializer, "Still being computed on a worker or the queue is "
                                        "unreachable (code `busy`): retry after `Retry-After` seconds"),
                   **ERRORS_COMMON},
    )
    def get(self, request, analysis_id, index):
        analysis = selectors.analysis_get(owner=request.user, analysis_id=analysis_id)  # 404 before anything else
        params = s.HeatmapQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        png = explain.heatmap_png(analysis=analysis, index=index, model=params.validated_data.get("model"))
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response
