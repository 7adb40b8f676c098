"""A video's files as HTTP responses (the pages and the API alike), with byte ranges: browsers ask
for parts of a video to start playing early and to seek, and Django's FileResponse serves whole
files only. Callers check ownership first (video_selectors); a missing file is `FileUnavailable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from analysis.core.downloads import FileUnavailable
from analysis.models import Video

CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _requested_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) byte of a single satisfiable range; None without a usable Range header; False if
    the range cannot be satisfied."""
    match = _RANGE.match(header.strip())
    if not match or not (match[1] or match[2]):
        return None  # absent, multi-range or malformed: the whole file, as RFC 9110 allows
    if not match[1]:  # the last N bytes
        length = int(match[2])
        return (max(0, size - length), size - 1) if length else False
    first = int(match[1])
    last = min(int(match[2]), size - 1) if match[2] else size - 1
    return (first, last) if first <= last and first < size else False


def _chunks(field: FieldFile, first: int, last: int) -> Iterator[bytes]:
    with field.open("rb") as handle:
        handle.seek(first)
        left = last - first + 1
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


def ranged_file_response(request: HttpRequest, field: FieldFile, *, content_type: str, filename: str,
                         as_attachment: bool = False) -> HttpResponse:
    try:
        size = field.size
    except OSError:
        raise FileUnavailable(_("The file is no longer stored.")) from None
    wanted = _requested_range(request.headers.get("Range", ""), size)
    if wanted is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = wanted or (0, size - 1)
    response = StreamingHttpResponse(_chunks(field, first, last), content_type=content_type,
                                     status=206 if wanted else 200)
    response["Content-Length"] = str(last - first + 1)
    if wanted:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def video_file_response(request: HttpRequest, video: Video, *, as_attachment: bool = False) -> HttpResponse:
    if not video.file:
        raise FileUnavailable(_("The original video was not kept (videos are deleted once analysed)."),
                              code="video_not_kept")
    return ranged_file_response(request, video.file, content_type=CONTENT_TYPES.get(video.container, "video/mp4"),
                                filename=video.original_name, as_attachment=as_attachment)


def annotated_response(request: HttpRequest, video: Video, *, as_attachment: bool = True) -> HttpResponse:
    if video.annotated_status != Video.Annotation.DONE or not video.annotated:
        raise FileUnavailable(_("The annotated video has not been made yet; request it first."), code="not_ready")
    stem = video.original_name.rsplit(".", 1)[0] or "video"
    return ranged_file_response(request, video.annotated, content_type="video/mp4", filename=f"{stem}-annotated.mp4",
                                as_attachment=as_attachment)
