"""`python -m server` serves the app with waitress (a production WSGI server) and runs
the reminder scheduler in a background thread (unless MBR_SCHEDULER=off);
`python -m server worker` runs only the scheduler, for deployments with several app
instances (any number of workers may share one database);
`python -m server migrate` upgrades the reminder database (the app and the worker also
do so at start, under a lock);
`python -m server check [DIR]` checks content/ and prints every problem."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from waitress import serve

from . import ContentError, SchemaTooNew, create_app
from .cli import check_content
from .config import load_config
from .content import load_content

log = logging.getLogger("server")


def _refuse(exc: Exception) -> int:
    print(f"Mid-Back Relief cannot start: {exc}", file=sys.stderr)
    return 2


def run_worker(poll_seconds: float | None = None) -> int:
    """Run the scheduler in the foreground until SIGINT or SIGTERM."""
    from pathlib import Path

    from . import reminders

    config = load_config()
    try:
        content = load_content(config["CONTENT_DIR"], Path(config["CLIENT_DIR"]) / "static" / "illustrations")
        services = reminders.setup(config, content.reminders.values())
    except (ContentError, SchemaTooNew) as exc:
        return _refuse(exc)
    scheduler = services.scheduler()
    stop = threading.Event()

    def _stop(signum, _frame) -> None:
        log.info("signal %s: stopping after this pass", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    poll = poll_seconds if poll_seconds is not None else services.settings.poll_seconds
    print(f"Mid-Back Relief reminder worker: polling every {poll:g}s, lease {scheduler.lease_seconds:g}s "
          "(Ctrl+C to stop)", flush=True)
    scheduler.run_forever(stop, poll)
    services.close()
    return 0


def run_migrate() -> int:
    from .reminders.store import Store, default_url

    config = load_config()
    store = Store(config.get("DATABASE_URL") or default_url(config["INSTANCE_DIR"]))
    try:
        before, after = store.upgrade()
    except SchemaTooNew as exc:
        return _refuse(exc)
    finally:
        store.dispose()
    print(f"Reminder database: {before or 'empty'} -> {after}" if before != after
          else f"Reminder database is up to date ({after}).")
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
    sub.add_parser("migrate", help="upgrade the reminder database to this version's schema")
    args = parser.parse_args(argv)

    if args.command == "check":
        return check_content(args.directory)

    level = os.environ.get("MBR_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO),
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command == "worker":
        return run_worker(args.poll)
    if args.command == "migrate":
        return run_migrate()

    try:
        app = create_app()
    except (ContentError, SchemaTooNew) as exc:
        return _refuse(exc)
    config = app.config
    # Every page, the service worker, the offline pack and every compressed body, built
    # now so no request waits for them.
    from .pwa import warm

    warm(app)
    if not config.get("PUBLIC_URL") and config["HOST"] not in ("127.0.0.1", "localhost", "::1"):
        log.warning("MBR_PUBLIC_URL is not set: push messages carry relative links, which Safari's "
                    "Declarative Web Push cannot open")
    background = None
    if str(config["SCHEDULER"]).lower() == "app":
        background = app.reminders.scheduler().start_background(app.reminders.settings.poll_seconds)
    # SIGTERM (service managers, containers) stops the server like Ctrl+C: waitress
    # closes on SystemExit, then the scheduler finishes its pass. SIGINT may be ignored
    # when started in the background, so both are handled.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    host, port = config["HOST"], int(config["PORT"])
    print(f"Mid-Back Relief on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    serve(app, host=host, port=port, threads=int(config["THREADS"]), ident="mid-back-relief",
          connection_limit=int(config["CONNECTION_LIMIT"]), channel_timeout=int(config["CHANNEL_TIMEOUT"]),
          # Waitress's own clean-up runs this often; idle connections close within
          # channel_timeout plus this.
          cleanup_interval=max(1, min(30, int(config["CHANNEL_TIMEOUT"]) // 2)))
    if background is not None:
        # Stop after the current pass, so no send is cut off by the interpreter's exit.
        thread, stop = background
        stop.set()
        thread.join(timeout=60)
    app.reminders.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
