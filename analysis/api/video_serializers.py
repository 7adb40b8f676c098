"""Serializers of the video endpoints: representations out, and validation of parameters in."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from analysis.api.serializers import BoxSerializer, ModelOptionsSerializer, ProbabilitiesSerializer, QueryParameters
from analysis.core import video_services
from analysis.core.video_results import track_samples, track_summary
from analysis.models import EMOTION_CHOICES, Video, VideoTrack


class TimelineSampleSerializer(serializers.Serializer):
    t = serializers.FloatField(help_text="Seconds from the start of the video.")
    box = BoxSerializer()
    emotion = serializers.ChoiceField(choices=EMOTION_CHOICES, help_text="The top emotion of this frame.")
    probabilities = ProbabilitiesSerializer()


class TrackSummarySerializer(serializers.Serializer):
    frames = serializers.IntegerField(help_text="Sampled frames the face was found in.")
    first_t = serializers.FloatField(help_text="First time seen, in seconds.")
    last_t = serializers.FloatField(help_text="Last time seen, in seconds.")
    emotion = serializers.ChoiceField(choices=EMOTION_CHOICES, help_text="Its most frequent top emotion.")
    shares = ProbabilitiesSerializer(help_text="Share of its frames per top emotion (sums to 1).")
    mean_probabilities = ProbabilitiesSerializer(help_text="Mean of its probabilities over its frames.")


class TrackSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="number", help_text="1, 2, ... in order of first appearance.")
    summary = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = VideoTrack
        fields = ["id", "frames", "summary", "timeline"]

    def get_summary(self, track: VideoTrack) -> TrackSummarySerializer:
        return track_summary(track)

    def get_timeline(self, track: VideoTrack) -> TimelineSampleSerializer(many=True):
        return [{key: sample[key] for key in ("t", "box", "emotion", "probabilities")} for sample in
                track_samples(track)]


class VideoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This video in the API (poll it until `status` is finished).")
    model = serializers.CharField(source="model_name")
    fps = serializers.FloatField(source="sample_fps", help_text="Frames analysed per second of video.")
    top_emotion = serializers.ChoiceField(choices=EMOTION_CHOICES, allow_blank=True, read_only=True,
                                          help_text="The most frequent emotion over every face followed; empty "
                                                    "while not done or when no face was found.")
    file_kept = serializers.SerializerMethodField(help_text="False once deleted for the owner's privacy setting.")

    class Meta:
        model = Video
        fields = [
            "id", "url", "status", "error", "progress", "original_name", "container", "codec", "width", "height",
            "duration_s", "source_fps", "fps", "model", "detector", "frames_expected", "frames_analysed",
            "track_count", "top_emotion", "cancel_requested", "created_at", "started_at", "finished_at", "file_kept",
        ]
        read_only_fields = fields

    def get_url(self, video: Video) -> str:
        request = self.context.get("request")
        path = reverse("api:video-detail", args=[video.id])
        return request.build_absolute_uri(path) if request is not None else path

    def get_file_kept(self, video: Video) -> bool:
        return bool(video.file)


class VideoDetailSerializer(VideoSerializer):
    tracks = serializers.SerializerMethodField(help_text="Every face followed; empty until `status` is done.")

    class Meta(VideoSerializer.Meta):
        fields = [*VideoSerializer.Meta.fields, "tracks"]
        read_only_fields = fields

    def get_tracks(self, video: Video) -> TrackSerializer(many=True):
        if video.status != Video.Status.DONE:
            return []  # partial results are never shown
        return TrackSerializer(video.tracks.order_by("number"), many=True).data


class VideoCreateSerializer(ModelOptionsSerializer):
    """Multipart form of `POST videos/`. The file itself is checked by `check_video` (codes, 413/415)."""

    video = serializers.FileField(allow_empty_file=True, use_url=False,
                                  help_text="MP4/MOV (H.264, H.265, MPEG-4) or WebM (VP8, VP9, AV1); at most "
                                            "FER_MAX_VIDEO_BYTES, FER_MAX_VIDEO_SECONDS and FER_MAX_VIDEO_PIXELS.")
    fps = serializers.FloatField(
        required=False, min_value=video_services.MIN_SAMPLE_FPS, max_value=video_services.MAX_SAMPLE_FPS,
        help_text=f"Frames analysed per second (default {video_services.DEFAULT_SAMPLE_FPS:g}).")


class VideoListFilterSerializer(QueryParameters):
    """As the analyses' list filter: an empty value is refused, a range that ends before it starts is empty."""

    status = serializers.ChoiceField(choices=Video.Status.choices, required=False)
    model = serializers.CharField(required=False, max_length=64, trim_whitespace=False,
                                  help_text="Only videos analysed with this model.")
    emotion = serializers.ChoiceField(choices=EMOTION_CHOICES, required=False,
                                      help_text="Only videos with a face mostly of this emotion.")
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601 date-time; inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601 date-time; exclusive. Not "
                                               "later than created_after: an empty list.")


class VideoDetailQuerySerializer(serializers.Serializer):
    timeline = serializers.BooleanField(required=False, default=True,
                                        help_text="false leaves each track's `timeline` out (summaries only).")
