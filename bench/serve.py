"""Serve the app with waitress, exactly as `python -m server` does, plus one trivial
route: the benchmark's yardstick, so throughput is reported as a ratio that means
something on a shared, noisy machine."""

from __future__ import annotations

import logging
import os
import sys
import tempfile

from waitress import serve

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from server import create_app  # noqa: E402


def main() -> None:
    # waitress reports its queue depth under load: expected here, and noise in the figures.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = create_app({"INSTANCE_DIR": tempfile.mkdtemp(prefix="mbr-bench-")})

    @app.get("/__trivial")
    def trivial():
        return "ok"

    serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(app.config["THREADS"]),
          ident="mid-back-relief")


if __name__ == "__main__":
    main()
