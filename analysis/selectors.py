"""Reads for analyses. Every query starts from the owner: no selector returns another user's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from analysis.models import Analysis, Face, LiveSession


def analysis_list(*, owner: User) -> QuerySet[Analysis]:
    return Analysis.objects.filter(owner=owner).order_by("-created_at")


def analysis_get(*, owner: User, analysis_id: uuid.UUID | str) -> Analysis:
    """The owner's analysis or 404 (the same answer whether it belongs to someone else or not)."""
    try:
        return analysis_list(owner=owner).get(id=analysis_id)
    except (Analysis.DoesNotExist, ValueError):
        raise Http404("No such analysis.") from None


def analysis_statuses(*, owner: User, ids: Iterable[str]) -> list[Analysis]:
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    return list(analysis_list(owner=owner).filter(id__in=valid[:100]))


def face_list(*, owner: User) -> QuerySet[Face]:
    return Face.objects.filter(analysis__owner=owner).select_related("analysis")


def live_session_list(*, owner: User) -> QuerySet[LiveSession]:
    return LiveSession.objects.filter(owner=owner).order_by("-started_at")


def live_session_get(*, owner: User, session_id: uuid.UUID | str) -> LiveSession:
    try:
        return live_session_list(owner=owner).get(id=session_id)
    except (LiveSession.DoesNotExist, ValueError):
        raise Http404("No such live session.") from None
