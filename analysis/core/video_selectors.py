"""Reads for videos. Every query starts from the owner: no selector returns another user's rows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from analysis.core.selectors import parse_uuids, with_common_filters
from analysis.models import Video, VideoTrack


def video_list(*, owner: User) -> QuerySet[Video]:
    return Video.objects.filter(owner=owner).order_by("-created_at")


def video_filtered(*, owner: User, emotion: str | None = None, model: str | None = None,
                   status: str | None = None, created_from: dt.datetime | None = None,
                   created_before: dt.datetime | None = None) -> QuerySet[Video]:
    """The owner's videos, newest first; `emotion` keeps videos with a track mostly of that emotion."""
    videos = video_list(owner=owner)
    if emotion:
        videos = videos.filter(Exists(VideoTrack.objects.filter(video=OuterRef("pk"), emotion=emotion)))
    return with_common_filters(videos, model=model, status=status, created_from=created_from,
                               created_before=created_before)


def video_get(*, owner: User, video_id: uuid.UUID | str) -> Video:
    """The owner's video or 404 (the same answer whether it belongs to someone else or not)."""
    try:
        return video_list(owner=owner).get(id=video_id)
    except (Video.DoesNotExist, ValueError):
        raise Http404(_("No such video.")) from None


def video_statuses(*, owner: User, ids: Iterable[str]) -> list[Video]:
    return list(video_list(owner=owner).filter(id__in=parse_uuids(ids, limit=100)))


def video_tracks(*, video: Video) -> list[VideoTrack]:
    """The tracks of a video already fetched through its owner (video_get)."""
    return list(video.tracks.order_by("number")) if video.status == Video.Status.DONE else []
