"""`python -m server` serves the app with waitress (a production WSGI server);
`python -m server check [DIR]` checks content/ and prints every problem."""

from __future__ import annotations

import argparse
import logging
import sys

from waitress import serve

from . import ContentError, create_app
from .cli import check_content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve the app on HOST:PORT (the default)")
    check = sub.add_parser("check", help="check content/ and list every problem")
    check.add_argument("directory", nargs="?", default=None)
    args = parser.parse_args(argv)

    if args.command == "check":
        return check_content(args.directory)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app()
    except ContentError as exc:
        print(f"Mid-Back Relief cannot start: {exc}", file=sys.stderr)
        return 2
    host, port = app.config["HOST"], int(app.config["PORT"])
    print(f"Mid-Back Relief on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    serve(app, host=host, port=port, threads=int(app.config["THREADS"]), ident="mid-back-relief")
    return 0


if __name__ == "__main__":
    sys.exit(main())
