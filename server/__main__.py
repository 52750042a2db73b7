"""`python -m server` serves the app with waitress (a production WSGI server) and runs
the reminder scheduler in a background thread (unless MBR_SCHEDULER=off);
`python -m server worker` runs only the scheduler, for deployments with several app
instances (any number of workers may share one database);
`python -m server check [DIR]` checks content/ and prints every problem."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from waitress import serve

from . import ContentError, create_app
from .cli import check_content


def _build_app():
    try:
        return create_app()
    except ContentError as exc:
        print(f"Mid-Back Relief cannot start: {exc}", file=sys.stderr)
        return None


def run_worker(poll_seconds: float | None = None) -> int:
    """Run the scheduler in the foreground until SIGINT or SIGTERM."""
    from .scheduler import Scheduler

    app = _build_app()
    if app is None:
        return 2
    scheduler = Scheduler.from_app(app)
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        logging.getLogger(__name__).info("signal %s: stopping after this pass", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    poll = poll_seconds if poll_seconds is not None else float(app.config["SCHEDULER_POLL_SECONDS"])
    print(f"Mid-Back Relief reminder worker: polling every {poll:g}s (Ctrl+C to stop)", flush=True)
    scheduler.run_forever(stop, poll)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve the app on HOST:PORT (the default)")
    check = sub.add_parser("check", help="check content/ and list every problem")
    check.add_argument("directory", nargs="?", default=None)
    worker = sub.add_parser("worker", help="send due reminders (for several app instances)")
    worker.add_argument("--poll", type=float, default=None, help="seconds between passes")
    args = parser.parse_args(argv)

    if args.command == "check":
        return check_content(args.directory)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "worker":
        return run_worker(args.poll)

    app = _build_app()
    if app is None:
        return 2
    if str(app.config["SCHEDULER"]).lower() == "app":
        from .scheduler import Scheduler

        Scheduler.from_app(app).start_background(float(app.config["SCHEDULER_POLL_SECONDS"]))
    host, port = app.config["HOST"], int(app.config["PORT"])
    print(f"Mid-Back Relief on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    serve(app, host=host, port=port, threads=int(app.config["THREADS"]), ident="mid-back-relief")
    return 0


if __name__ == "__main__":
    sys.exit(main())
