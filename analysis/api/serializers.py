"""Serializers of the analysis endpoints: representations out, and validation of parameters in."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analysis.core.choices import (
    ALL_MODELS,
    UnknownChoice,
    check_detector,
    check_model,
    check_models,
    is_uncertain,
    model_names,
)
from analysis.core.uploads import MAX_FILES_PER_REQUEST
from analysis.models import EMOTION_CHOICES, Analysis, CompareStatus, Face
from fer_site.api.schema import ErrorDetailSerializer
from ml.emotions import EMOTIONS
from ml.serving.detection import DEFAULT_DETECTOR, DETECTORS

MAX_WAIT_SECONDS = 30.0
DEFAULT_WAIT_SECONDS = 10.0


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class BoxSerializer(serializers.Serializer):
    x = serializers.IntegerField(help_text="Left edge in pixels of the (EXIF-rotated) photo.")
    y = serializers.IntegerField(help_text="Top edge in pixels.")
    w = serializers.IntegerField(help_text="Width in pixels.")
    h = serializers.IntegerField(help_text="Height in pixels.")


class ProbabilitiesSerializer(serializers.Serializer):
    """One probability per emotion; they sum to 1."""

    angry = serializers.FloatField()
    disgust = serializers.FloatField()
    fear = serializers.FloatField()
    happy = serializers.FloatField()
    sad = serializers.FloatField()
    surprise = serializers.FloatField()
    neutral = serializers.FloatField()


class PredictionSerializer(serializers.Serializer):
    """One model's prediction for one face."""

    emotion = serializers.ChoiceField(choices=EMOTION_CHOICES)
    confidence = serializers.FloatField(help_text="The top probability.")
    probabilities = ProbabilitiesSerializer()


class FaceSerializer(serializers.ModelSerializer):
    box = serializers.SerializerMethodField()
    probabilities = serializers.SerializerMethodField()
    uncertain = serializers.SerializerMethodField(
        help_text="The confidence is under the model's calibrated threshold (`uncertain_below` in "
                  "/api/v1/models/): the label is a guess that is right less than half the time.")
    predictions = serializers.SerializerMethodField(
        help_text="Each model of the analysis's `models` on this same face crop, by name; {} when none was asked for."
    )

    class Meta:
        model = Face
        fields = ["index", "box", "detector_score", "emotion", "confidence", "uncertain", "probabilities",
                  "predictions"]

    def get_box(self, face: Face) -> BoxSerializer:
        return {"x": face.x, "y": face.y, "w": face.w, "h": face.h}

    def get_uncertain(self, face: Face) -> bool:
        return is_uncertain(face.analysis.model_name, face.confidence)

    def get_probabilities(self, face: Face) -> ProbabilitiesSerializer:
        return {emotion: round(face.probabilities[emotion], 6) for emotion in EMOTIONS}

    @extend_schema_field(serializers.DictField(child=PredictionSerializer()))
    def get_predictions(self, face: Face) -> dict:
        return face.predictions or {}


class TimingsSerializer(serializers.Serializer):
    """Milliseconds per processing step (keys depend on the pipeline; `total` is always there when done)."""

    total = serializers.FloatField(required=False)


class AnalysisSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This analysis in the API (poll it until `status` is done).")
    model = serializers.CharField(source="model_name")
    top_emotion = serializers.ChoiceField(choices=EMOTION_CHOICES, allow_blank=True, read_only=True,
                                          help_text="Emotion of the most confident face; empty when there is none "
                                          "(no face found, or not analysed yet).")
    faces = FaceSerializer(many=True, read_only=True)
    timings_ms = serializers.SerializerMethodField()
    photo_kept = serializers.SerializerMethodField()
    photo_url = serializers.SerializerMethodField(help_text="Download of the original photo; null when not kept.")
    annotated_url = serializers.SerializerMethodField(
        help_text="JPEG with boxes and labels; null until done or when the photo was not kept."
    )
    models = serializers.ListField(
        child=serializers.CharField(), source="compare_models", read_only=True,
        help_text="The models compared on every face (each face's `predictions`); [] when none was asked for.",
    )
    compare_status = serializers.ChoiceField(
        choices=CompareStatus.choices, read_only=True,
        help_text="Where the comparison of `models` stands (\"\" when none was asked for).",
    )

    class Meta:
        model = Analysis
        fields = [
            "id", "url", "status", "error", "original_name", "image_format", "width", "height", "model", "detector",
            "face_count", "top_emotion", "faces", "timings_ms", "created_at", "started_at", "finished_at",
            "photo_kept", "photo_url", "annotated_url", "models", "compare_status",
        ]
        read_only_fields = fields

    def _url(self, name: str, analysis: Analysis) -> str:
        return _absolute(self.context.get("request"), reverse(f"api:{name}", args=[analysis.id]))

    def get_url(self, analysis: Analysis) -> str:
        return self._url("analysis-detail", analysis)

    def get_timings_ms(self, analysis: Analysis) -> TimingsSerializer:
        return analysis.timings_ms or {}

    def get_photo_kept(self, analysis: Analysis) -> bool:
        return bool(analysis.photo)

    def get_photo_url(self, analysis: Analysis) -> str | None:
        return self._url("analysis-photo", analysis) if analysis.photo else None

    def get_annotated_url(self, analysis: Analysis) -> str | None:
        if not analysis.photo or analysis.status != Analysis.Status.DONE:
            return None
        return self._url("analysis-annotated", analysis)


class NameChoiceField(serializers.ChoiceField):
    """A model or detector name: an enum in the schema, refused with the upload service's own error
    (`unknown_model`, `unknown_detector`); empty means the default."""

    def __init__(self, names, check, **kwargs):
        super().__init__(choices=list(names), allow_blank=True, required=False, **kwargs)
        self.check = check

    def to_internal_value(self, data):
        return "" if data == "" else self.check(str(data))


class ModelListField(serializers.CharField):
    """Several model names separated by commas, no spaces (`vgg16,resnet50`), or `all`; each name checked like
    `model` (`unknown_model`). The schema's pattern says exactly what is accepted."""

    def __init__(self, names: list[str], **kwargs):
        choice = "|".join(re.escape(n) for n in [ALL_MODELS, *names])
        pattern = f"^(?:(?:{choice})(?:,(?:{choice}))*)?$"
        super().__init__(required=False, allow_blank=True, validators=[RegexValidator(pattern)], **kwargs)

    def to_internal_value(self, data):
        text = str(data)
        if text and any(part not in [ALL_MODELS, *model_names()] for part in text.split(",")):
            raise UnknownChoice(_("Unknown models %(models)r; give names separated by commas, without spaces, "
                                  "from: %(names)s (or all).") % {"models": text, "names": ", ".join(model_names())},
                                code="unknown_model")
        return ",".join(check_models(text))


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false` (any case), as the schema's boolean says; DRF also took 1/0, yes/no, on/off and t/f."""

    TRUE_VALUES = {"true", True}
    FALSE_VALUES = {"false", False}


class ModelOptionsSerializer(serializers.Serializer):
    """`model` and `detector` of every upload (photos and videos). Model names come from the model cards, so
    they are read per instance."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"] = NameChoiceField(model_names(), check_model,
                                               help_text="A name from GET models/ (default: the default model).")
        self.fields["detector"] = NameChoiceField(DETECTORS, check_detector,
                                                  help_text=f"Default {DEFAULT_DETECTOR}.")


class UploadOptionsSerializer(ModelOptionsSerializer):
    """Options of both photo upload endpoints."""

    wait = StrictBooleanField(
        required=False, default=False,
        help_text="Answer with the finished analysis (201) if it finishes within `timeout` seconds, else 202.",
    )
    timeout = serializers.FloatField(
        required=False, default=DEFAULT_WAIT_SECONDS, min_value=0.0, max_value=MAX_WAIT_SECONDS,
        help_text=f"Seconds to wait when `wait` is set (0 to {MAX_WAIT_SECONDS:.0f}).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # model and detector
        self.fields["models"] = ModelListField(
            model_names(), help_text="Also classify every face with these models (names separated by commas, or "
            "`all`): each face then carries `predictions` by model. One detection, the same crops.")


class AnalysisCreateSerializer(UploadOptionsSerializer):
    """Multipart form of `POST analyses/`. The image itself is checked by `check_image` (codes, 413/415)."""

    image = serializers.FileField(
        allow_empty_file=True, use_url=False,
        help_text="JPEG, PNG or WebP; at most FER_MAX_UPLOAD_BYTES and FER_MAX_IMAGE_PIXELS.",
    )


class AnalysisBatchSerializer(UploadOptionsSerializer):
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False), min_length=1,
        max_length=MAX_FILES_PER_REQUEST,
        help_text=f"Several files in the same field `images` (1 to {MAX_FILES_PER_REQUEST}).",
    )


class BatchItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the file in the request.")
    name = serializers.CharField(help_text="The uploaded file's name.")
    status = serializers.IntegerField(help_text="The status this file alone would have had (201, 202, 4xx).")
    analysis = AnalysisSerializer(required=False, help_text="Present when the file was accepted.")
    error = ErrorDetailSerializer(required=False, help_text="Present when the file was refused.")


class BatchResultSerializer(serializers.Serializer):
    results = BatchItemSerializer(many=True)


class QueryParameters(serializers.Serializer):
    """Query parameters: one given with an empty value (`?period=`) is refused, as the schema says, where DRF's
    form handling would take it for an omitted one."""

    def to_internal_value(self, data):
        blank = [name for name, field in self.fields.items()
                 if data.get(name) == "" and not getattr(field, "allow_blank", False)]
        if blank:
            raise serializers.ValidationError({name: [_("This parameter may not be empty.")] for name in blank})
        return super().to_internal_value(data)


class AnalysisListFilterSerializer(QueryParameters):
    emotion = serializers.ChoiceField(choices=EMOTION_CHOICES, required=False,
                                      help_text="Only analyses with at least one face of this emotion.")
    model = serializers.CharField(required=False, max_length=64, trim_whitespace=False,
                                  help_text="Only analyses made with this model.")
    status = serializers.ChoiceField(choices=Analysis.Status.choices, required=False)
    # No rule between the two (the schema cannot state one): a range that ends before it starts selects nothing.
    created_after = serializers.DateTimeField(required=False, help_text="ISO 8601 date-time; inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="ISO 8601 date-time; exclusive. Not "
                                               "later than created_after: an empty list.")


class ModelInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    arch = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    input = serializers.DictField(help_text="Input spec from the model card, e.g. {\"size\": 48, \"channels\": 1}.")
    accuracy = serializers.FloatField(allow_null=True, help_text="Accuracy on FER2013 PublicTest, when measured.")
    per_class = serializers.DictField(child=serializers.FloatField(), allow_null=True,
                                      help_text="Recall per emotion on PublicTest, when measured.")
    metrics = serializers.DictField(help_text="Every metric in the model card.")
    default = serializers.BooleanField(help_text="Used when a request names no model.")
    label = serializers.CharField(help_text="How the interface names it, with its accuracy in words.")
    quality = serializers.ChoiceField(choices=["ok", "poor", "unmeasured"],
                                      help_text="`poor`: more than 10 points below the best model on PublicTest "
                                                "(still available by name, never the default).")
    quality_reason = serializers.CharField(allow_null=True)
    ece = serializers.FloatField(allow_null=True, help_text="Expected calibration error on PublicTest (0 is ideal).")
    temperature = serializers.FloatField(allow_null=True,
                                         help_text="Temperature applied to the model's probabilities (calibration).")
    uncertain_below = serializers.FloatField(allow_null=True,
                                             help_text="A face whose confidence is under this is marked uncertain.")


class StatsQuerySerializer(QueryParameters):
    period = serializers.ChoiceField(choices=["7", "30", "90", "365", "all"], required=False,
                                     help_text="Days ending today, or all; ignored when a date is given. Default 30.")
    date_from = serializers.DateField(required=False, help_text="First local date, inclusive (YYYY-MM-DD).")
    date_to = serializers.DateField(required=False, help_text="Last local date, inclusive (YYYY-MM-DD). Before "
                                    "date_from: an empty range (zero counts).")
    group = serializers.ChoiceField(choices=["day", "week"], required=False,
                                    help_text="Grouping of `over_time`; default by the span of the range.")


class StatsRangeSerializer(serializers.Serializer):
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    period = serializers.CharField()
    description = serializers.CharField()


class StatsHeadlineSerializer(serializers.Serializer):
    analyses = serializers.IntegerField()
    done = serializers.IntegerField()
    no_face = serializers.IntegerField()
    failed = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    faces = serializers.IntegerField()


class StatsEmotionSerializer(serializers.Serializer):
    emotion = serializers.CharField()
    faces = serializers.IntegerField()
    mean_confidence = serializers.FloatField(allow_null=True)


class StatsModelSerializer(serializers.Serializer):
    model = serializers.CharField()
    analyses = serializers.IntegerField()
    faces = serializers.IntegerField()
    mean_confidence = serializers.FloatField(allow_null=True)


class StatsOverTimeSerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=["day", "week"])
    periods = serializers.ListField(child=serializers.DateField(), help_text="Start date of each day or week.")
    series = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()),
                                   help_text="Per emotion, faces per period.")
    totals = serializers.ListField(child=serializers.IntegerField())


class StatsVideosSerializer(serializers.Serializer):
    videos = serializers.IntegerField(help_text="Videos uploaded in the range.")
    done = serializers.IntegerField()
    minutes = serializers.FloatField(help_text="Length of the done videos.")
    faces = serializers.IntegerField(help_text="Faces followed (tracks) in the done videos.")
    frames = serializers.IntegerField(help_text="Faces in analysed frames, summed over tracks.")
    per_emotion = serializers.DictField(child=serializers.IntegerField(),
                                        help_text="Faces in analysed frames per top emotion.")


class StatsSerializer(serializers.Serializer):
    range = StatsRangeSerializer()
    headline = StatsHeadlineSerializer()
    per_emotion = StatsEmotionSerializer(many=True)
    per_model = StatsModelSerializer(many=True)
    over_time = StatsOverTimeSerializer()
    videos = StatsVideosSerializer()


class UploadQuerySerializer(QueryParameters, UploadOptionsSerializer):
    """The upload options given in the query string (`POST analyses/?wait=true`): each must be valid on its own,
    even when the form repeats it (the form's value is the one used)."""


class HeatmapQuerySerializer(QueryParameters):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"] = NameChoiceField(model_names(), check_model,
                                               help_text="A name from GET models/ (default: the analysis's model).")
