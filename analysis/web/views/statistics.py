"""The statistics page and the CSV/JSON exports of the owner's faces. Thin: the report comes from
`analysis.core.statistics.report`, the same one the API's `stats/` returns."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import formats
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from analysis.core import exports, statistics
from analysis.core.palette import colour
from analysis.models import emotion_name
from analysis.web import charts
from analysis.web.forms import RangeFilterForm
from ml.emotions import EMOTIONS


class StatisticsView(TemplateView):
    template_name = "analysis/statistics.html"

    def get_context_data(self, **kwargs):
        form = RangeFilterForm(self.request.GET, default_period="30")
        date_range = form.date_range()
        stats = statistics.report(owner=self.request.user, date_range=date_range, group=form.chosen_group())
        head, per_emotion, per_model = stats.headline, stats.per_emotion, stats.per_model
        over_time, live = stats.over_time, stats.live
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
            "group": over_time.group,
            "emotions": EMOTIONS,
            "has_faces": head["faces"] > 0,
            "has_any": head["analyses"] > 0 or live["sessions"] > 0 or stats.videos["videos"] > 0,
            "live": live,
            "videos": stats.videos,
        }
        if stats.videos["frames"]:
            context["video_chart"] = charts.bar_chart(
                chart_id="chart-videos",
                title=_("Videos: sampled faces per emotion"),
                description=_("Faces in the analysed frames of your videos per top expression, %(range)s.")
                % {"range": date_range.describe()},
                bars=[charts.Bar(emotion_name(e), stats.videos["per_emotion"][e], colour(e)) for e in EMOTIONS],
            )
        if live["detections"]:
            context["live_chart"] = charts.bar_chart(
                chart_id="chart-live",
                title=_("Faces per emotion in live sessions"),
                description=_("Face detections in live webcam sessions per smoothed top expression, %(range)s.")
                % {"range": date_range.describe()} + " "
                + ", ".join(f"{emotion_name(e).lower()}: {live['per_emotion'][e]}" for e in EMOTIONS) + ".",
                bars=[charts.Bar(emotion_name(e), live["per_emotion"][e], colour(e)) for e in EMOTIONS],
            )
        if head["faces"]:
            context["charts"] = self._charts(per_emotion, per_model, over_time, date_range.describe())
        return context

    @staticmethod
    def _charts(per_emotion, per_model, over_time, period: str) -> dict:
        # Weeks are named by their Monday; the year shows only when the range spans more than one.
        years = {p.year for p in over_time.periods}
        # Translatable date formats: '3 Dec 26' / '3 Dec' in English, '03/12/26' / '03/12' in Vietnamese.
        label_format = pgettext("chart date with year", "j M y") if len(years) > 1 else pgettext("chart date", "j M")
        period_labels = [formats.date_format(p, label_format) for p in over_time.periods]
        week = over_time.group == "week"
        return {
            "per_emotion": charts.bar_chart(
                chart_id="chart-emotions",
                title=_("Faces per emotion"),
                description=_("Number of faces classified as each emotion, %(range)s.") % {"range": period} + " "
                + ", ".join(f"{emotion_name(r['emotion']).lower()}: {r['faces']}" for r in per_emotion) + ".",
                bars=[charts.Bar(emotion_name(r["emotion"]), r["faces"], colour(r["emotion"])) for r in per_emotion],
            ),
            "over_time": charts.stacked_column_chart(
                chart_id="chart-over-time",
                title=_("Emotions per week") if week else _("Emotions per day"),
                description=(_("Faces per emotion for each week (labelled by its Monday), %(range)s, stacked by "
                               "emotion. The data table lists the same numbers.") if week
                             else _("Faces per emotion for each day, %(range)s, stacked by emotion. The data table "
                                    "lists the same numbers.")) % {"range": period},
                labels=period_labels,
                series=[(emotion_name(e), colour(e), over_time.series[e]) for e in EMOTIONS],
            ),
            "per_model": charts.paired_bar_chart(
                chart_id="chart-models",
                title=_("Models compared"),
                description=_("Faces analysed and mean confidence per model, %(range)s.") % {"range": period} + " "
                + "; ".join(_model_summary(r) for r in per_model) + ".",
                rows=[(r["model"], r["faces"], r["mean_confidence"]) for r in per_model],
                left_title=_("Faces analysed"),
                right_title=_("Mean confidence"),
            ),
            "confidence": charts.bar_chart(
                chart_id="chart-confidence",
                title=_("Mean confidence per emotion"),
                description=_("Average confidence of the predicted emotion, per emotion, %(range)s.")
                % {"range": period} + " "
                + ", ".join(
                    f"{emotion_name(r['emotion']).lower()}: {formats.number_format(r['mean_confidence'] * 100, 1)}%"
                    for r in per_emotion if r["mean_confidence"] is not None
                ) + ".",
                bars=[
                    charts.Bar(emotion_name(r["emotion"]), r["mean_confidence"], colour(r["emotion"]))
                    for r in per_emotion
                ],
                fmt=charts.percent,
                value_max=1.0,
            ),
        }


def _model_summary(row: dict) -> str:
    text = ngettext("%(model)s: %(n)d face", "%(model)s: %(n)d faces", row["faces"]) % {
        "model": row["model"], "n": row["faces"]}
    if row["mean_confidence"] is not None:
        text += ", " + _("mean confidence %(p)s%%") % {"p": formats.number_format(row["mean_confidence"] * 100, 1)}
    return text


def _export_range(request: HttpRequest):
    # Exports default to everything; the statistics page's links pass its range along.
    return RangeFilterForm(request.GET, default_period="all").date_range()


def _attachment(response: HttpResponse, extension: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, exports.filename(extension))
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
