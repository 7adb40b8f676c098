"""Forms of the pages: the GET filters of the history, statistics and export pages, and the privacy forms.

Bad filter values never raise: the form reports them and the page falls back to the fields that
did validate (or the defaults), so a hand-edited URL gives a readable error, never a 500.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from analysis.core import selectors
from analysis.core.date_ranges import PERIODS, DateRange, resolve_range
from analysis.models import EMOTION_CHOICES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PERIOD_CHOICES = [("custom", _("Chosen dates")), *PERIODS.items()]
GROUP_CHOICES = [("", _("Automatic")), ("day", _("Per day")), ("week", _("Per week"))]


def _check_order(form: forms.Form, cleaned: dict) -> None:
    start, end = cleaned.get("date_from"), cleaned.get("date_to")
    if start and end and start > end:
        form.add_error("date_to", _("The end date must be on or after the start date."))


class HistoryFilterForm(forms.Form):
    """Filters of the history page; models offered are the ones this owner has used."""

    emotion = forms.ChoiceField(label=_("Emotion"), required=False, choices=[("", _("Any emotion")), *EMOTION_CHOICES])
    model = forms.ChoiceField(label=_("Model"), required=False, choices=[("", _("Any model"))])
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, owner: User, **kwargs):
        super().__init__(*args, **kwargs)
        names = (
            selectors.analysis_list(owner=owner).order_by("model_name").values_list("model_name", flat=True).distinct()
        )
        self.fields["model"].choices = [("", _("Any model")), *((name, name) for name in names)]

    def clean(self):
        cleaned = super().clean()
        _check_order(self, cleaned)
        return cleaned

    def valid_values(self) -> dict:
        """The filters that validated (all of them when the form is valid), empty ones left out."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class RangeFilterForm(forms.Form):
    """Date range and grouping of the statistics page and the exports (resolved by core.date_ranges)."""

    period = forms.ChoiceField(label=_("Period"), required=False, choices=PERIOD_CHOICES)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    group = forms.ChoiceField(label=_("Group by"), required=False, choices=GROUP_CHOICES)

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
        return resolve_range(period=data.get("period"), date_from=data.get("date_from"), date_to=data.get("date_to"),
                             default_period=self.default_period)

    def chosen_group(self) -> str | None:
        self.is_valid()
        return self.cleaned_data.get("group") or None


class KeepPhotosForm(forms.Form):
    keep_photos = forms.BooleanField(
        label=_("Keep my photos"),
        required=False,
        help_text=_("When off, each new photo is deleted as soon as it has been analysed."),
    )


class DeleteAllForm(forms.Form):
    confirm = forms.CharField(label=_("Type your username or DELETE to confirm"), max_length=150, strip=True)

    def __init__(self, *args, username: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username
        self.fields["confirm"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "off",
                                                   "spellcheck": "false"})

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if value not in (self.username, "DELETE"):
            raise forms.ValidationError(_("That does not match. Type your username or DELETE, exactly."))
        return value


def local_day_bounds(date_from: dt.date | None,
                     date_to: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start of the first day, start of the day after the last) in the current time zone."""
    return (selectors.local_day_start(date_from) if date_from else None,
            selectors.local_day_start(date_to + dt.timedelta(days=1)) if date_to else None)
