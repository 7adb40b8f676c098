"""`python -m fer_site.serve [daphne options]`: the web process of both profiles (`./run`, the Procfile,
`scripts/run_scaled.sh`). It is daphne serving `fer_site.asgi:application`, with the limits of its own
HTTP and WebSocket layers brought in line with the application's:

- **WebSocket messages.** daphne refuses messages over 1 MiB itself, just above the live page's
  frame limit (`FER_LIVE_MAX_FRAME_BYTES`, 1,000,000 bytes), and autobahn then drops the TCP
  connection without a close frame: the page saw an abnormal close and the consumer never answered.
  The transport's limit is `FER_LIVE_MAX_MESSAGE_BYTES` (8x the frame limit by default), so the
  consumer answers `frame_too_large` and keeps the socket for anything a page could plausibly send;
  a larger message closes the socket with a close frame, code 1009 (message too big).
- **Request bodies over the cap** (`fer_site.body_limit`). Twisted receives every body whole before daphne
  hands it on, into memory or a temporary file: a body of many gigabytes would fill the disk before the
  application could refuse it. Bytes past the cap are counted and dropped, and daphne answers 413 itself.
- **Multipart bodies.** Twisted parses every multipart POST body with the e-mail parser, on the
  event loop's thread, before daphne hands the raw body to Django, which parses it again: a 10 MB
  upload held up every other request and live socket of the process for seconds, and a malformed
  body got Twisted's empty 400 instead of the API's JSON error. That first parse is turned off.

Both are switches daphne's command line does not offer, set on daphne's own request and WebSocket
factory classes. Options given on the command line still win (they come after ours).
"""

from __future__ import annotations

import os
import sys

APPLICATION = "fer_site.asgi:application"


def _message_limit() -> int:
    from django.conf import settings

    return max(settings.FER_LIVE_MAX_MESSAGE_BYTES, settings.FER_LIVE_MAX_FRAME_BYTES)


def _align_daphne() -> None:
    from daphne import http_protocol, server

    from fer_site.body_limit import refusal, request_limit

    class RawBodyRequest(http_protocol.WebRequest):
        """Leaves the body to the application: no multipart pre-parse by Twisted; nothing kept past the cap."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._parsePOSTFormSubmission = False
            self.body_limit, self.body_seen = request_limit(), 0

        def handleContentChunk(self, data: bytes) -> None:
            self.body_seen += len(data)
            if self.body_seen <= self.body_limit:
                super().handleContentChunk(data)

        def process(self):
            if self.body_seen <= self.body_limit:
                return super().process()
            headers, body = refusal(self.body_limit)
            self.handle_reply({"type": "http.response.start", "status": 413, "headers": headers})
            self.handle_reply({"type": "http.response.body", "body": body})
            return None

    class ClosingWebSocketFactory(server.WebSocketFactory):
        """Fails a connection (message too big, protocol error) with a close frame instead of a dropped socket."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.setProtocolOptions(failByDrop=False)

    http_protocol.WebRequest = RawBodyRequest  # read by daphne's HTTPFactory.buildProtocol for each connection
    server.WebSocketFactory = ClosingWebSocketFactory  # read by daphne's Server.run


def daphne_arguments(options: list[str]) -> list[str]:
    limit = str(_message_limit())
    return ["--websocket-max-message-size", limit, "--websocket-max-frame-size", limit, *options, APPLICATION]


def main(options: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fer_site.settings")
    arguments = daphne_arguments(sys.argv[1:] if options is None else options)
    from daphne.cli import CommandLineInterface

    _align_daphne()
    CommandLineInterface().run(arguments)


if __name__ == "__main__":
    main()
