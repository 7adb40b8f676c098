"""Date ranges of the statistics, the exports and the API's stats: one resolution of "period",
"date_from", "date_to" and "group" into an inclusive range of local dates and a grouping.

Explicit dates win; without them `period` picks a preset ending today (or all time). The default
preset differs by caller: the last 30 days for statistics, all time for exports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

PERIODS = {"7": _("Last 7 days"), "30": _("Last 30 days"), "90": _("Last 90 days"), "365": _("Last 12 months"),
           "all": _("All time")}
GROUPS = ("day", "week")
# With no explicit grouping, ranges longer than this are drawn per week.
AUTO_DAY_LIMIT_DAYS = 62


def _day(value: dt.date) -> str:
    # The site's date format in the current language (fer_site/formats), as the pages' `day` filter.
    return formats.date_format(value, "DATE_FORMAT")


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of local dates; a None bound is open."""

    start: dt.date | None
    end: dt.date | None
    period: str  # one of PERIODS' keys, or "custom"

    @property
    def is_all_time(self) -> bool:
        return self.start is None and self.end is None

    def describe(self) -> str:
        if self.is_all_time:
            return gettext("all time")
        if self.start and self.end:
            return gettext("%(start)s to %(end)s") % {"start": _day(self.start), "end": _day(self.end)}
        if self.start:
            return gettext("since %(day)s") % {"day": _day(self.start)}
        return gettext("until %(day)s") % {"day": _day(self.end)}

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


def resolve_range(*, period: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
                  default_period: str = "30") -> DateRange:
    if date_from or date_to:
        return DateRange(date_from, date_to, "custom")
    period = period if period in PERIODS else default_period  # "custom" without dates: the default
    if period == "all":
        return DateRange(None, None, "all")
    today = timezone.localdate()
    return DateRange(today - dt.timedelta(days=int(period) - 1), today, period)


def resolve_group(chosen: str | None, date_range: DateRange, first: dt.date | None, last: dt.date | None) -> str:
    """'day' or 'week': the chosen one, else by the span of the range (or of the data, when open)."""
    if chosen in GROUPS:
        return chosen
    start, end = date_range.start or first, date_range.end or last
    if start and end and (end - start).days > AUTO_DAY_LIMIT_DAYS:
        return "week"
    return "day"
