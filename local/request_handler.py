"""The HTTP server's own refusals, answered as API Gateway answers: a 4xx with a JSON ``{"message"}``.

Before any WSGI code runs, Python's http.server refuses what it cannot parse (a bad request line, an absurd header,
too many headers) with an HTML page, and a request line naming HTTP/2 or later with 505. A client can send any of
these, and no input a client sends may yield a 5xx: a version we cannot speak is a bad request like the others.
"""

import json
from http import HTTPStatus

from werkzeug.serving import WSGIRequestHandler


class GatewayRequestHandler(WSGIRequestHandler):
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        status = HTTPStatus(code) if code < HTTPStatus.INTERNAL_SERVER_ERROR else HTTPStatus.BAD_REQUEST
        self.log_error("code %d, message %s", code, message or status.phrase)  # the log formatter escapes it
        body = json.dumps({"message": status.phrase}).encode()
        if self.request_version == "HTTP/0.9":
            # http.server's default until it has read a valid version: it would send the body alone, no status line.
            self.request_version = "HTTP/1.1"
        self.send_response(status, status.phrase)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
