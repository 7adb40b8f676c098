"""History, statistics, exports and privacy pages. Thin: forms validate, selectors and services work.

Every query starts from `request.user`; another user's ids are ignored (bulk delete) or 404 (the
per-analysis pages in views_photos).
"""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from analysis import charts, exports, selectors, services, statistics
from analysis.history_filters import HistoryFilterForm, RangeFilterForm
from analysis.models import Analysis
from analysis.templatetags.analysis_tags import EMOTION_COLOURS
from ml.emotions import EMOTIONS

PAGE_SIZE = 20
LIVE_SESSIONS_SHOWN = 10
MAX_DELETE_IDS = 500


class HistoryView(TemplateView):
    template_name = "analysis/history.html"

    def get_context_data(self, **kwargs):
        owner = self.request.user
        form = HistoryFilterForm(self.request.GET, owner=owner)
        filters = form.valid_values()
        date_from, date_to = filters.get("date_from"), filters.get("date_to")
        analyses = selectors.analysis_filtered(
            owner=owner, emotion=filters.get("emotion"), model=filters.get("model"),
            created_from=selectors.local_day_start(date_from) if date_from else None,
            created_before=selectors.local_day_start(date_to + dt.timedelta(days=1)) if date_to else None,
        )
        page = Paginator(analyses, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "filtered": bool(filters),
            "page_obj": page,
            "analyses": page.object_list,
            "has_any": bool(page.paginator.count) or selectors.analysis_list(owner=owner).exists()
            or selectors.live_session_list(owner=owner).exists(),
            "live_sessions": selectors.live_session_list(owner=owner)[:LIVE_SESSIONS_SHOWN],
        }


def _parse_ids(values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values[:MAX_DELETE_IDS]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def _back_to_history(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    history = reverse("analysis:history")
    if target.startswith(history) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(history)


@require_POST
def delete_many(request: HttpRequest) -> HttpResponse:
    ids = _parse_ids(request.POST.getlist("ids"))
    if not ids:
        messages.warning(request, "Select at least one analysis to delete.")
        return _back_to_history(request)
    deleted = services.analysis_delete(owner=request.user, ids=ids)
    messages.success(request, f"Deleted {deleted} {'analysis' if deleted == 1 else 'analyses'}.")
    return _back_to_history(request)


class StatisticsView(TemplateView):
    template_name = "analysis/statistics.html"

    def get_context_data(self, **kwargs):
        owner = self.request.user
        form = RangeFilterForm(self.request.GET, default_period="30")
        date_range = form.date_range()
        head = statistics.headline(owner=owner, date_range=date_range)
        per_emotion = statistics.emotion_summary(owner=owner, date_range=date_range)
        per_model = statistics.model_comparison(owner=owner, date_range=date_range)
        first, last = statistics.data_span(owner=owner, date_range=date_range)
        group = form.resolve_group(date_range, first, last)
        over_time = statistics.emotions_over_time(owner=owner, date_range=date_range, group=group)
        live = statistics.live_summary(owner=owner, date_range=date_range)
        context = {
            **super().get_context_data(**kwargs),
            "form": form,
            "date_range": date_range,
            "range_query": urlencode(date_range.query()),
            "headline": head,
            "per_emotion": per_emotion,
            "per_model": per_model,
            "over_time": over_time,
            "over_time_rows": over_time.rows(),
            "group": group,
            "emotions": EMOTIONS,
            "has_faces": head["faces"] > 0,
            "has_any": head["analyses"] > 0 or live["sessions"] > 0,
            "live": live,
        }
        if live["detections"]:
            context["live_chart"] = charts.bar_chart(
                chart_id="chart-live",
                title="Live sessions: faces per emotion",
                description="Face detections in live webcam sessions per smoothed top expression, "
                f"{date_range.describe()}.",
                bars=[charts.Bar(e.capitalize(), live["per_emotion"][e], EMOTION_COLOURS[e]) for e in EMOTIONS],
            )
        if head["faces"]:
            context["charts"] = self._charts(per_emotion, per_model, over_time, date_range.describe())
        return context

    @staticmethod
    def _charts(per_emotion, per_model, over_time, period: str) -> dict:
        # Weeks are named by their Monday; the year shows only when the range spans more than one.
        years = {p.year for p in over_time.periods}
        period_labels = [f"{p.day} {p:%b %y}" if len(years) > 1 else f"{p.day} {p:%b}" for p in over_time.periods]
        return {
            "per_emotion": charts.bar_chart(
                chart_id="chart-emotions",
                title="Faces per emotion",
                description=f"Number of faces classified as each emotion, {period}. "
                + ", ".join(f"{r['emotion']}: {r['faces']}" for r in per_emotion) + ".",
                bars=[charts.Bar(r["emotion"], r["faces"], charts.EMOTION_COLORS[r["emotion"]]) for r in per_emotion],
            ),
            "over_time": charts.stacked_column_chart(
                chart_id="chart-over-time",
                title=f"Emotions per {over_time.group}",
                description=f"Faces per emotion for each {over_time.group}"
                + (" (labelled by its Monday)" if over_time.group == "week" else "")
                + f", {period}, stacked by emotion. The data table lists the same numbers.",
                labels=period_labels,
                series=[(e, charts.EMOTION_COLORS[e], over_time.series[e]) for e in EMOTIONS],
            ),
            "per_model": charts.paired_bar_chart(
                chart_id="chart-models",
                title="Models compared",
                description=f"Faces analysed and mean confidence per model, {period}. "
                + "; ".join(_model_summary(r) for r in per_model) + ".",
                rows=[(r["model"], r["faces"], r["mean_confidence"]) for r in per_model],
                left_title="Faces analysed",
                right_title="Mean confidence",
            ),
            "confidence": charts.bar_chart(
                chart_id="chart-confidence",
                title="Mean confidence per emotion",
                description=f"Average confidence of the predicted emotion, per emotion, {period}. "
                + ", ".join(
                    f"{r['emotion']}: {r['mean_confidence'] * 100:.1f}%"
                    for r in per_emotion if r["mean_confidence"] is not None
                ) + ".",
                bars=[
                    charts.Bar(r["emotion"], r["mean_confidence"], charts.EMOTION_COLORS[r["emotion"]])
                    for r in per_emotion
                ],
                fmt=charts.percent,
                value_max=1.0,
            ),
        }


def _model_summary(row: dict) -> str:
    text = f"{row['model']}: {row['faces']} faces"
    if row["mean_confidence"] is not None:
        text += f", mean confidence {row['mean_confidence'] * 100:.1f}%"
    return text


def _export_range(request: HttpRequest):
    # Exports default to everything; the statistics page's links pass its range along.
    return RangeFilterForm(request.GET, default_period="all").date_range()


def _attachment(response: HttpResponse, extension: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(extension)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    records = exports.face_records(owner=request.user, date_range=_export_range(request))
    response = StreamingHttpResponse(exports.csv_lines(records), content_type="text/csv; charset=utf-8")
    return _attachment(response, "csv")


@require_GET
def export_json(request: HttpRequest) -> StreamingHttpResponse:
    date_range = _export_range(request)
    records = exports.face_records(owner=request.user, date_range=date_range)
    response = StreamingHttpResponse(exports.json_chunks(records, date_range=date_range),
                                     content_type="application/json")
    return _attachment(response, "json")


class KeepPhotosForm(forms.Form):
    keep_photos = forms.BooleanField(
        label="Keep my photos",
        required=False,
        help_text="When off, each new photo is deleted as soon as it has been analysed.",
    )


def _data_counts(owner) -> dict[str, int]:
    analyses = selectors.analysis_list(owner=owner)
    return {
        "analyses": analyses.count(),
        "faces": selectors.face_list(owner=owner).count(),
        "photos": analyses.exclude(photo="").count(),
        "pending": analyses.filter(status__in=[Analysis.Status.PENDING, Analysis.Status.RUNNING]).count(),
        "live_sessions": selectors.live_session_list(owner=owner).count(),
    }


class PrivacyView(TemplateView):
    template_name = "analysis/privacy.html"

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or KeepPhotosForm(initial={"keep_photos": self.request.user.keep_photos})
        return {**super().get_context_data(**kwargs), "form": form, "counts": _data_counts(self.request.user)}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = KeepPhotosForm(request.POST)
        if not form.is_valid():  # pragma: no cover - a BooleanField(required=False) always validates
            return self.render_to_response(self.get_context_data(form=form))
        keep = form.cleaned_data["keep_photos"]
        services.user_keep_photos_set(user=request.user, keep=keep)
        if keep:
            messages.success(request, "Your photos will be kept.")
        else:
            messages.success(request, "New photos will be deleted as soon as they are analysed. "
                                      "Photos already stored stay until you delete them.")
        return redirect("analysis:privacy")


class DeleteAllForm(forms.Form):
    confirm = forms.CharField(label="Type your username or DELETE to confirm", max_length=150, strip=True)

    def __init__(self, *args, username: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username
        self.fields["confirm"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "off",
                                                   "spellcheck": "false"})

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value not in (self.username, "DELETE"):
            raise forms.ValidationError("That does not match. Type your username or DELETE, exactly.")
        return value


class DeleteAllView(TemplateView):
    template_name = "analysis/delete_all.html"

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or DeleteAllForm(username=self.request.user.get_username())
        return {**super().get_context_data(**kwargs), "form": form, "counts": _data_counts(self.request.user)}

    def post(self, request: HttpRequest) -> HttpResponse:
        form = DeleteAllForm(request.POST, username=request.user.get_username())
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        deleted = services.user_data_delete(user=request.user)
        messages.success(
            request,
            f"Deleted all your data: {deleted} {'analysis' if deleted == 1 else 'analyses'} "
            "with their faces and photos.",
        )
        return redirect("analysis:analyze")
