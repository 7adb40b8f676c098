"""Forms that validate the GET filters of the history, statistics and export pages.

Bad values never raise: the form reports them and the page falls back to the fields that did
validate (or the defaults), so a hand-edited URL gives a readable error, never a 500.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from accounts.models import User
from analysis import selectors
from analysis.models import EMOTION_CHOICES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PERIOD_CHOICES = [
    ("custom", "Chosen dates"),
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("365", "Last 12 months"),
    ("all", "All time"),
]
GROUP_CHOICES = [("", "Automatic"), ("day", "Per day"), ("week", "Per week")]
# With no explicit grouping, ranges longer than this are drawn per week.
AUTO_DAY_LIMIT_DAYS = 62


def _check_order(form: forms.Form, cleaned: dict) -> None:
    start, end = cleaned.get("date_from"), cleaned.get("date_to")
    if start and end and start > end:
        form.add_error("date_to", "The end date must be on or after the start date.")


class HistoryFilterForm(forms.Form):
    """Filters of the history page; models offered are the ones this owner has used."""

    emotion = forms.ChoiceField(label="Emotion", required=False, choices=[("", "Any emotion"), *EMOTION_CHOICES])
    model = forms.ChoiceField(label="Model", required=False, choices=[("", "Any model")])
    date_from = forms.DateField(label="From", required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label="To", required=False, widget=DATE_WIDGET)

    def __init__(self, *args, owner: User, **kwargs):
        super().__init__(*args, **kwargs)
        names = (
            selectors.analysis_list(owner=owner).order_by("model_name").values_list("model_name", flat=True).distinct()
        )
        self.fields["model"].choices = [("", "Any model"), *((name, name) for name in names)]

    def clean(self):
        cleaned = super().clean()
        _check_order(self, cleaned)
        return cleaned

    def valid_values(self) -> dict:
        """The filters that validated (all of them when the form is valid), empty ones left out."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of local dates; a None bound is open."""

    start: dt.date | None
    end: dt.date | None
    period: str  # one of PERIOD_CHOICES' keys, or "custom"

    @property
    def is_all_time(self) -> bool:
        return self.start is None and self.end is None

    def describe(self) -> str:
        if self.is_all_time:
            return "all time"
        if self.start and self.end:
            return f"{_day(self.start)} to {_day(self.end)}"
        if self.start:
            return f"since {_day(self.start)}"
        return f"until {_day(self.end)}"

    def query(self) -> dict[str, str]:
        """GET parameters that select this range again (for export links)."""
        if self.period != "custom":
            return {"period": self.period}
        params = {}
        if self.start:
            params["date_from"] = self.start.isoformat()
        if self.end:
            params["date_to"] = self.end.isoformat()
        return params


class RangeFilterForm(forms.Form):
    """Date range of the statistics page and the exports.

    Explicit dates win; without them `period` picks a preset ending today (or all time). The
    default preset differs by page: the last 30 days for statistics, all time for exports.
    """

    period = forms.ChoiceField(label="Period", required=False, choices=PERIOD_CHOICES)
    date_from = forms.DateField(label="From", required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label="To", required=False, widget=DATE_WIDGET)
    group = forms.ChoiceField(label="Group by", required=False, choices=GROUP_CHOICES)

    def __init__(self, data=None, *args, default_period: str = "30", **kwargs):
        if data is not None:
            # Show the period in effect: "Chosen dates" when dates are given, else the default preset.
            data = data.copy()
            if data.get("date_from") or data.get("date_to"):
                data["period"] = "custom"
            elif not data.get("period"):
                data["period"] = default_period
        super().__init__(data, *args, **kwargs)
        self.default_period = default_period
        self.fields["period"].initial = default_period

    def clean(self):
        cleaned = super().clean()
        _check_order(self, cleaned)
        return cleaned

    def date_range(self) -> DateRange:
        self.is_valid()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start or end:
            return DateRange(start, end, "custom")
        period = data.get("period") or self.default_period
        if period == "custom":  # chosen dates, but none given (or none valid)
            period = self.default_period
        if period == "all":
            return DateRange(None, None, "all")
        today = timezone.localdate()
        return DateRange(today - dt.timedelta(days=int(period) - 1), today, period)

    def resolve_group(self, date_range: DateRange, first: dt.date | None, last: dt.date | None) -> str:
        """'day' or 'week': the chosen one, else by the span of the range (or of the data, when open)."""
        self.is_valid()
        chosen = self.cleaned_data.get("group")
        if chosen:
            return chosen
        start, end = date_range.start or first, date_range.end or last
        if start and end and (end - start).days > AUTO_DAY_LIMIT_DAYS:
            return "week"
        return "day"
