"""Heatmaps of faces (Grad-CAM, `ml.serving.heatmaps`) as PNG files: checked, computed where the work runs
(`dispatch.heatmap`), cached in the default storage under `heatmaps/<analysis id>/`, and deleted with the
analysis or with its photo (a heatmap shows the face, so it is kept no longer than the photo)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from analysis.core.choices import check_model
from analysis.core.compare import stored_box
from analysis.models import Analysis, Face
from fer_site.errors import ServiceError

FOLDER = "heatmaps"


class HeatmapUnavailable(ServiceError):
    code = "not_found"
    status = 404


def _folder(analysis_id: uuid.UUID | str) -> str:
    return f"{FOLDER}/{uuid.UUID(str(analysis_id)).hex}"


def cache_name(analysis_id: uuid.UUID | str, index: int, model: str) -> str:
    return f"{_folder(analysis_id)}/{index}-{model}.png"


def heatmap_check(*, analysis: Analysis, index: int, model: str | None) -> tuple[Face, str]:
    """The face and the checked model name of a heatmap request (the owner's analysis, looked up by a selector).

    An unknown model is `unknown_model` (400); no such face, an analysis not done or a photo not kept is 404."""
    model = check_model(model or analysis.model_name)
    face = analysis.faces.filter(index=index).first() if analysis.status == Analysis.Status.DONE else None
    if face is None:
        raise HeatmapUnavailable(_("This analysis has no face %(index)s.") % {"index": index})
    if not analysis.photo:
        raise HeatmapUnavailable(_("The photo was not kept, so no heatmap can be drawn."), code="photo_not_kept")
    return face, model


def cached(analysis_id: uuid.UUID | str, index: int, model: str) -> bytes | None:
    name = cache_name(analysis_id, index, model)
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def heatmap_compute(*, analysis_id: uuid.UUID | str, index: int, model: str) -> bytes:
    """The heatmap PNG of one face for one model, from the cache or computed and cached (the task's body)."""
    found = cached(analysis_id, index, model)
    if found is not None:
        return found
    analysis = Analysis.objects.filter(id=analysis_id).first()
    face = analysis.faces.filter(index=index).first() if analysis is not None else None
    if face is None or not analysis.photo:
        raise HeatmapUnavailable(_("The analysis, its face or its photo is gone."))
    from ml.serving.heatmaps import explain, overlay_png
    from ml.serving.pipeline import decode_photo, stored_face_crops

    try:
        with analysis.photo.open("rb") as handle:
            rgb = decode_photo(handle.read(), settings.FER_MAX_IMAGE_PIXELS)
    except (OSError, ValueError):
        raise HeatmapUnavailable(_("The stored photo could not be read."), code="photo_not_kept") from None
    crop = stored_face_crops(rgb, [stored_box(face)], analysis.detector)[0]
    png = overlay_png(crop, explain(crop, model).cam)
    name = cache_name(analysis_id, index, model)
    if not default_storage.exists(name):  # two requests at once: the first file stays, both answers are equal
        default_storage.save(name, ContentFile(png))
    return png


def heatmaps_delete(analysis_ids: Iterable[uuid.UUID | str]) -> None:
    """Delete the cached heatmaps of these analyses once the surrounding transaction commits."""
    folders = [_folder(analysis_id) for analysis_id in analysis_ids]
    transaction.on_commit(lambda: _delete_folders(folders))


def _delete_folders(folders: list[str]) -> None:
    for folder in folders:
        _delete_folder(folder)


def _delete_folder(folder: str) -> None:
    try:
        _, files = default_storage.listdir(folder)
    except (FileNotFoundError, OSError):
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
    try:
        os.rmdir(default_storage.path(folder))
    except (NotImplementedError, OSError):  # storages without local paths have no folders to remove
        pass
