"""Video endpoints under /api/v1/videos/. Thin: serializers validate, the upload service checks,
stores and starts videos for the page and the API alike, video_services writes, video_selectors read.

Every query starts from `request.user`: another user's video is a 404, exactly like one that does
not exist. Errors use the shape of `fer_site.api.errors`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, parsers, status
from rest_framework.response import Response

from analysis.api import video_examples as examples
from analysis.api import video_serializers as s
from analysis.api.views.analyses import CURSOR_NOT_FOUND, AnalysisCursorPagination
from analysis.core import video_selectors, video_services
from analysis.core.video_uploads import upload_videos
from analysis.models import Video
from fer_site.api.errors import APIError
from fer_site.api.schema import BAD_PARAMS, ERRORS_COMMON, NOT_FOUND_RESPONSE, ErrorSerializer


class VideoListCreateView(generics.GenericAPIView):
    serializer_class = s.VideoSerializer
    pagination_class = AnalysisCursorPagination
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_throttles(self):
        self.throttle_scope = "uploads" if self.request.method == "POST" else None
        return super().get_throttles()

    def get_queryset(self):
        params = s.VideoListFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        f = params.validated_data
        return video_selectors.video_filtered(
            owner=self.request.user, emotion=f.get("emotion"), model=f.get("model"), status=f.get("status"),
            created_from=f.get("created_after"), created_before=f.get("created_before"))

    @extend_schema(operation_id="videos_list", tags=["videos"], summary="List your videos, newest first",
                   description="Without tracks; get one video for its tracks and timelines.",
                   parameters=[s.VideoListFilterSerializer],
                   responses={200: s.VideoSerializer(many=True), **BAD_PARAMS, **ERRORS_COMMON, **CURSOR_NOT_FOUND})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="videos_create", tags=["videos"], summary="Analyse a video file",
        description=(
            "Upload one video (multipart field `video`). The answer is 202 at once with the video pending: poll "
            "its `url` for `status` and `progress` (0-1) until it is `done` (then `tracks` holds every face "
            "followed through the video), `failed` (`error` says why) or `cancelled`. `fps` sets how many "
            "frames per second are analysed (1-30, default 5). Refusals: 400 (not a video, no video track, no "
            "decodable frame, bad options), 413 (file, duration or frame size over the limits), 415 (container "
            "or codec not accepted). Uploads are throttled per user (scope `uploads`)."),
        request={"multipart/form-data": s.VideoCreateSerializer},
        responses={
            202: OpenApiResponse(s.VideoSerializer, "Accepted; poll `url`", examples=[examples.VIDEO_PENDING]),
            400: OpenApiResponse(ErrorSerializer, "Not a usable video or bad parameters",
                                 examples=[examples.INVALID_VIDEO, examples.AUDIO_ONLY]),
            413: OpenApiResponse(ErrorSerializer, "Over a limit", examples=[examples.VIDEO_TOO_LONG]),
            415: OpenApiResponse(ErrorSerializer, "Container or codec not accepted"),
            503: OpenApiResponse(ErrorSerializer, "The task queue or the database is unreachable (code `busy`); "
                                 "nothing was stored: retry after `Retry-After` seconds"),
            **ERRORS_COMMON,
        },
    )
    def post(self, request):
        if "video" not in request.FILES:
            raise APIError("no_file", _("Send the video as the multipart field `video`."),
                           details={"fields": {"video": [_("No file was submitted.")]}})
        params = s.VideoCreateSerializer(data={**request.data.dict(), "video": request.FILES["video"]})
        params.is_valid(raise_exception=True)
        p = params.validated_data
        (outcome,) = upload_videos(owner=request.user, files=[p["video"]], model=p.get("model"),
                                   detector=p.get("detector"), sample_fps=p.get("fps"))
        if outcome.error is not None:
            raise outcome.error
        data = self.get_serializer(outcome.video).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class VideoDetailView(generics.GenericAPIView):
    serializer_class = s.VideoDetailSerializer

    def get_object(self) -> Video:
        return video_selectors.video_get(owner=self.request.user, video_id=self.kwargs["video_id"])

    @extend_schema(operation_id="videos_retrieve", tags=["videos"],
                   summary="One video: status, progress and, once done, every face's timeline",
                   parameters=[s.VideoDetailQuerySerializer],
                   responses={200: OpenApiResponse(s.VideoDetailSerializer, "The video",
                                                   examples=[examples.VIDEO_DONE, examples.VIDEO_RUNNING]),
                              **BAD_PARAMS, **ERRORS_COMMON, **NOT_FOUND_RESPONSE})
    def get(self, request, video_id):
        query = s.VideoDetailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        video_services.videos_fail_stale(owner=request.user)
        data = self.get_serializer(self.get_object()).data
        if not query.validated_data["timeline"]:
            data["tracks"] = [{k: v for k, v in track.items() if k != "timeline"} for track in data["tracks"]]
        return Response(data)

    @extend_schema(operation_id="videos_destroy", tags=["videos"],
                   summary="Delete a video, its results and its files (a running analysis stops)",
                   responses={204: None, **ERRORS_COMMON, **NOT_FOUND_RESPONSE})
    def delete(self, request, video_id):
        video_services.video_delete(owner=request.user, ids=[self.get_object().id])
        return Response(status=status.HTTP_204_NO_CONTENT)


class VideoCancelView(generics.GenericAPIView):
    serializer_class = s.VideoSerializer

    @extend_schema(operation_id="videos_cancel", tags=["videos"], summary="Cancel a pending or running analysis",
                   description="A pending video is cancelled at once; a running one stops within about a second "
                               "(`cancel_requested` is true until then). Nothing of a cancelled analysis is kept. "
                               "A finished video is returned unchanged.",
                   request=None,
                   responses={202: s.VideoSerializer, **ERRORS_COMMON, **NOT_FOUND_RESPONSE})
    def post(self, request, video_id):
        video = video_selectors.video_get(owner=request.user, video_id=video_id)
        video = video_services.video_cancel(owner=request.user, video_id=video.id)
        return Response(self.get_serializer(video).data, status=status.HTTP_202_ACCEPTED)
