"""Reads for analyses. Every query starts from the owner: no selector returns another user's rows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from analysis.models import Analysis, Face, LiveSession, Video


def analysis_list(*, owner: User) -> QuerySet[Analysis]:
    return Analysis.objects.filter(owner=owner).order_by("-created_at")


def analysis_filtered(*, owner: User, emotion: str | None = None, model: str | None = None,
                      status: str | None = None, created_from: dt.datetime | None = None,
                      created_before: dt.datetime | None = None) -> QuerySet[Analysis]:
    """The owner's analyses, newest first, narrowed by each filter given (the history page and the API).

    `emotion` keeps analyses with at least one face of it; `created_from` is inclusive and
    `created_before` exclusive (a local date range is [start of first day, start of the day after)).
    """
    analyses = analysis_list(owner=owner)
    if emotion:
        analyses = analyses.filter(Exists(Face.objects.filter(analysis=OuterRef("pk"), emotion=emotion)))
    return with_common_filters(analyses, model=model, status=status, created_from=created_from,
                               created_before=created_before)


def with_common_filters(rows: QuerySet, *, model: str | None, status: str | None,
                        created_from: dt.datetime | None, created_before: dt.datetime | None) -> QuerySet:
    """The filters analyses and videos share: model, status, and [created_from, created_before)."""
    if model:
        rows = rows.filter(model_name=model)
    if status:
        rows = rows.filter(status=status)
    if created_from:
        rows = rows.filter(created_at__gte=created_from)
    if created_before:
        rows = rows.filter(created_at__lt=created_before)
    return rows


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def analysis_get(*, owner: User, analysis_id: uuid.UUID | str) -> Analysis:
    """The owner's analysis or 404 (the same answer whether it belongs to someone else or not)."""
    try:
        return analysis_list(owner=owner).get(id=analysis_id)
    except (Analysis.DoesNotExist, ValueError):
        raise Http404(_("No such analysis.")) from None


def parse_uuids(values: Iterable[str], limit: int) -> list[uuid.UUID]:
    """The valid UUIDs among the first `limit` values (ids from a query string or a form); others are ignored."""
    ids = []
    for value in list(values)[:limit]:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return ids


def analysis_statuses(*, owner: User, ids: Iterable[str]) -> list[Analysis]:
    return list(analysis_list(owner=owner).filter(id__in=parse_uuids(ids, limit=100)))


def face_list(*, owner: User) -> QuerySet[Face]:
    return Face.objects.filter(analysis__owner=owner).select_related("analysis")


def live_session_list(*, owner: User) -> QuerySet[LiveSession]:
    return LiveSession.objects.filter(owner=owner).order_by("-started_at")


def live_session_get(*, owner: User, session_id: uuid.UUID | str) -> LiveSession:
    try:
        return live_session_list(owner=owner).get(id=session_id)
    except (LiveSession.DoesNotExist, ValueError):
        raise Http404(_("No such live session.")) from None


def owner_data_counts(*, owner: User) -> dict[str, int]:
    """What the owner has stored (the privacy pages show it before anything is deleted)."""
    analyses = analysis_list(owner=owner)
    return {
        "analyses": analyses.count(),
        "faces": face_list(owner=owner).count(),
        "photos": analyses.exclude(photo="").count(),
        "pending": analyses.filter(status__in=[Analysis.Status.PENDING, Analysis.Status.RUNNING]).count(),
        "live_sessions": live_session_list(owner=owner).count(),
        "videos": Video.objects.filter(owner=owner).count(),
        "videos_stored": Video.objects.filter(owner=owner).exclude(file="").count(),
    }
