"""Serve the app with waitress, exactly as `python -m server` does (everything built and
compressed at start-up), plus the benchmark's yardsticks: a trivial route for
throughput and a floor page (a heading and a paragraph, no CSS) for Lighthouse, both
answered by the same server in the same run, so figures are ratios that mean
something on a shared, noisy machine.

With `--count-bytes`, every response's bytes on the wire (status line and headers;
body) are recorded per path while recording is on (`/__bench/record?on=1`), and read back
from `/__bench/bytes` (then cleared)."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading

from waitress import serve

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from server import create_app  # noqa: E402
from server.pwa import warm  # noqa: E402

FLOOR = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"description\" content=\"The benchmark's floor page.\">"
         "<title>Floor</title></head><body><h1>Mid-back relief</h1>"
         "<p>A heading and a paragraph with no stylesheet and no script: the fastest page "
         "this server can send.</p></body></html>")


class ByteCounter:
    """WSGI middleware: bytes of every response, by path, while recording is on."""

    def __init__(self, app):
        self.app, self.on, self.log, self.lock = app, False, [], threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/__bench/record":
            self.on = "on=1" in environ.get("QUERY_STRING", "")
            start_response("204 No Content", [])
            return []
        if path == "/__bench/bytes":
            with self.lock:
                log, self.log = self.log, []
            body = json.dumps(log).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if not self.on:
            return self.app(environ, start_response)
        size = {"headers": 0}

        def counting_start(status, headers, exc_info=None):
            size["headers"] = len(status) + 11 + sum(len(k) + len(v) + 4 for k, v in headers)
            return start_response(status, headers, exc_info)

        chunks = list(self.app(environ, counting_start))
        query = environ.get("QUERY_STRING", "")
        with self.lock:
            self.log.append([path + ("?" + query if query else ""), size["headers"],
                             sum(len(c) for c in chunks)])
        return chunks


def main() -> None:
    # waitress reports its queue depth under load: expected here, and noise in the figures.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = create_app({"INSTANCE_DIR": tempfile.mkdtemp(prefix="mbr-bench-")})

    @app.get("/__trivial")
    def trivial():
        return "ok"

    @app.get("/__floor")
    def floor():
        return FLOOR

    warm(app)
    wsgi = ByteCounter(app) if "--count-bytes" in sys.argv else app
    serve(wsgi, host="127.0.0.1", port=int(sys.argv[1]), threads=int(app.config["THREADS"]),
          ident="mid-back-relief")


if __name__ == "__main__":
    main()
