"""`python -m workers.webhooks`: the small HTTP receiver for HeyGen webhooks.

Streamlit cannot take POSTs, so this runs beside the app (Procfile `webhooks`). It reads
the raw body (the signature covers the exact bytes) and hands it to core.video.webhooks.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from core.logs import setup_logging
from core.video.webhooks import handle

PATH = "/webhooks/heygen"
MAX_BODY = 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # logs go through core.logs, not stderr
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(200 if self.path == "/health" else 404, {"ok": self.path == "/health"})

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != PATH:
            return self._answer(404, {"detail": "not found"})
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            return self._answer(413 if length > MAX_BODY else 400, {"detail": "bad body length"})
        answer = handle(self.rfile.read(length), dict(self.headers.items()))
        self._answer(answer.status, answer.body)


def serve(host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.webhooks", description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8502)
    args = parser.parse_args(argv)
    setup_logging()
    server = serve(args.host, args.port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
