"""The owner's files as HTTP responses, for the pages and the API alike: the original photo, its
thumbnail and the annotated JPEG. Callers check ownership first (selectors); a file that is not
there is a `FileUnavailable` (404) with a code saying why.

File names go through Django's RFC 6266 header building (`filename*` for non-ASCII names, quotes
escaped), never through hand-written headers.
"""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from analysis.core.annotate import annotated_jpeg
from analysis.models import Analysis
from fer_site.errors import ServiceError

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
NOT_KEPT = _("The original photo was not kept (photos are deleted once analysed).")
GONE = _("The original photo is no longer stored.")


class FileUnavailable(ServiceError):
    code = "photo_not_kept"
    status = 404


def _open(field: FieldFile, missing: str):
    if not field:
        raise FileUnavailable(missing)
    try:
        return field.open("rb")
    except OSError:
        raise FileUnavailable(GONE) from None


def photo_response(analysis: Analysis, *, as_attachment: bool = False) -> FileResponse:
    handle = _open(analysis.photo, NOT_KEPT)
    response = FileResponse(handle, as_attachment=as_attachment, filename=analysis.original_name,
                            content_type=CONTENT_TYPES.get(analysis.image_format))
    response["Cache-Control"] = "private, max-age=3600"
    return response


def thumbnail_response(analysis: Analysis) -> FileResponse:
    response = FileResponse(_open(analysis.thumbnail, _("No thumbnail was kept.")), filename="thumbnail.jpg",
                            content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def annotated_response(analysis: Analysis, *, as_attachment: bool = True) -> HttpResponse:
    if not analysis.photo:
        raise FileUnavailable(_("The original photo was not kept, so there is nothing to draw on."))
    if analysis.status != Analysis.Status.DONE:
        raise FileUnavailable(_("The analysis is %(status)s; the annotated photo exists once it is done.")
                              % {"status": analysis.get_status_display().lower()},
                              code="not_ready")
    try:
        data = annotated_jpeg(analysis)
    except OSError:
        raise FileUnavailable(GONE) from None
    stem = analysis.original_name.rsplit(".", 1)[0] or "photo"
    response = HttpResponse(data, content_type="image/jpeg")
    response["Content-Disposition"] = content_disposition_header(as_attachment, f"{stem}-annotated.jpg")
    response["Cache-Control"] = "private, no-store"
    return response
