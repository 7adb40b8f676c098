"""The one error shape of the web side: a stable machine-readable code, a message for people and
the HTTP status it answers with. Services raise these; pages show the message, the API renders
`{"error": {"code", "message", "details"}}` (fer_site.api.errors), the live socket sends
`{"type": "error", "code", "message"}`.
"""

from __future__ import annotations


class ServiceError(Exception):
    code: str = "error"
    status: int = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: dict | None = None):
        # A lazily translated message is rendered now, in the language of the request that raised it.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}

    def headers(self) -> dict[str, str]:
        """Extra response headers (e.g. Retry-After for a busy service)."""
        return {}


def sentence(fragment: str) -> str:
    """'the file is empty' -> 'The file is empty.' (ml's messages are fragments, pages show sentences)."""
    fragment = fragment.strip().rstrip(".")
    return fragment[:1].upper() + fragment[1:] + "." if fragment else ""
