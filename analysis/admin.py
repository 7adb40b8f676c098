"""Admin for analyses (faces inline) and live sessions: find, inspect and delete; never edit results.

Failed and stuck analyses are one filter away ("Needs attention"); every list filters by status or
model, date and user, and searches by user and file name. Rows are read-only (no add, no change):
results come from the models, and an edited probability would be a lie in someone's history.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from analysis.models import Analysis, Face, LiveSession

# An analysis takes seconds; one still unfinished after this is worth a look before the sweep fails it.
STUCK_AFTER = timedelta(minutes=2)


class ReadOnlyAdmin(admin.ModelAdmin):
    """View and delete only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class FaceInline(ReadOnlyInline):
    model = Face
    fields = ["index", "emotion", "confidence", "x", "y", "w", "h", "detector_score", "p_angry", "p_disgust",
              "p_fear", "p_happy", "p_sad", "p_surprise", "p_neutral"]
    readonly_fields = fields


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("failed", "Failed"), ("stuck", f"Stuck (unfinished after {STUCK_AFTER.seconds // 60} min)")]

    def queryset(self, request, queryset: QuerySet[Analysis]) -> QuerySet[Analysis]:
        if self.value() == "failed":
            return queryset.filter(status=Analysis.Status.FAILED)
        if self.value() == "stuck":
            return queryset.filter(status__in=[Analysis.Status.PENDING, Analysis.Status.RUNNING],
                                   created_at__lt=timezone.now() - STUCK_AFTER)
        return queryset


def _owner_link(model_admin_url: str, owner) -> str:
    """The owner, linking to this list filtered to them."""
    return format_html('<a href="{}?owner__id__exact={}">{}</a>', model_admin_url, owner.pk, owner.get_username())


@admin.register(Analysis)
class AnalysisAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "owner_link", "status", "model_name", "detector", "face_count", "top_emotion",
                    "attempts", "created_at", "finished_at"]
    list_filter = [NeedsAttentionFilter, "status", "model_name", "detector", "created_at",
                   ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["original_name", "owner__username", "owner__email", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["owner"]
    list_per_page = 50
    ordering = ["-created_at"]
    inlines = [FaceInline]
    fields = ["id", "owner", "original_name", "status", "error", "model_name", "detector", "image_format", "width",
              "height", "face_count", "top_emotion", "attempts", "timings_ms", "created_at", "started_at",
              "finished_at", "photo", "thumbnail", "photo_discarded"]
    readonly_fields = fields

    @admin.display(description=_("owner"), ordering="owner__username")
    def owner_link(self, analysis: Analysis) -> str:
        return _owner_link(reverse("admin:analysis_analysis_changelist"), analysis.owner)


@admin.register(LiveSession)
class LiveSessionAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "owner_link", "model_name", "duration_s", "frames_received", "frames_analysed",
                    "frames_dropped", "faces_seen", "top_emotion", "mean_latency_ms"]
    list_filter = ["model_name", "started_at", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["owner__username", "owner__email", "=id"]
    date_hierarchy = "started_at"
    list_select_related = ["owner"]
    ordering = ["-started_at"]
    exclude = ["timeline"]  # hundreds of points: the owner's session page draws it
    readonly_fields = ["id", "owner", "model_name", "started_at", "ended_at", "duration_s", "frames_received",
                       "frames_analysed", "frames_dropped", "faces_seen", "face_detections", "top_emotion",
                       "emotion_counts", "mean_latency_ms"]

    @admin.display(description=_("owner"), ordering="owner__username")
    def owner_link(self, session: LiveSession) -> str:
        return _owner_link(reverse("admin:analysis_livesession_changelist"), session.owner)
