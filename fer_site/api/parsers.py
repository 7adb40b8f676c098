"""The API's multipart parser: DRF's, with a malformed body answered as `parse_error` that says what is
wrong with the request (DRF's message repeated Django's parser, e.g. "Request max total header size
exceeded." for a part whose headers never end), the parser's own words kept in `details.reason`."""

from __future__ import annotations

from django.http.multipartparser import MultiPartParserError
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# ServiceError, not the API's APIError: fer_site.api.errors imports DRF's views, whose settings load
# this parser, so importing it from here would be a cycle.
from fer_site.errors import ServiceError

MALFORMED = ("The request body is not valid multipart/form-data (a boundary, a part's headers or its end are "
             "missing or damaged); send the photo as the file field `image` of a multipart form.")


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            cause = exc.__context__
            if not isinstance(cause, MultiPartParserError):
                raise
            raise ServiceError(MALFORMED, code="parse_error", status=400, details={"reason": str(cause)}) from None
