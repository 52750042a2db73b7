"""Push delivery benchmark: N due reminders, one per subscription, sent by the scheduler
to a local Web Push service on 127.0.0.1 (in its own process, so it does not share the
sender's interpreter lock). Prints sends per second and where the sender's time goes.

    .venv/bin/python bench/push_bench.py                 # 10,000 subscriptions, 1 and 4 threads
    .venv/bin/python bench/push_bench.py -n 2000 --threads 8 --decrypt

The push service checks every VAPID token; with --decrypt it also decrypts every
message (slower: on a small machine it competes with the sender for CPU).
Figures, not pass/fail. Only loopback is used.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from server import create_app  # noqa: E402
from server import reminders as rem  # noqa: E402
from server.db import Device, Schedule, days_to_bits, sha256_hex, windows_to_text  # noqa: E402
from server.scheduler import Scheduler  # noqa: E402
from tests.conftest_push import LocalPushService, push_config  # noqa: E402

DUE = int(datetime(2024, 6, 3, 9, 30, tzinfo=ZoneInfo("Europe/London")).timestamp())  # a Monday


def serve(n: int, decrypt: bool, conn) -> None:
    """The push service process: creates the subscriptions (their private keys stay
    here, like a browser's), then answers the sender until told to stop."""
    service = LocalPushService(decrypt=decrypt).start()
    conn.send([service.subscribe().json() for _ in range(n)])
    while True:
        message = conn.recv()
        if message == "stop":
            break
        if isinstance(message, tuple) and message[0] == "key":
            service.vapid_public_key = message[1]
            service.requests = 0
            service.received.clear()
            conn.send("ok")
        elif message == "stats":
            conn.send((service.requests, len(service.received), service.problems[:3]))
    service.stop()


def load(app, subscriptions: list[dict]) -> None:
    entry = rem.entry_from_plan("posture-break", {"interval": 30,
                                 "windows": [{"start": "09:00", "end": "17:30"}],
                                 "days": ["mon", "tue", "wed", "thu", "fri"]})
    devices, schedules = [], []
    for i, sub in enumerate(subscriptions, start=1):
        devices.append({"id": i, "token_hash": sha256_hex(f"token-{i}"), "endpoint": sub["endpoint"],
                        "endpoint_hash": sha256_hex(sub["endpoint"]), "p256dh": sub["keys"]["p256dh"],
                        "auth": sub["keys"]["auth"], "timezone": "Europe/London", "created_at": DUE,
                        "updated_at": DUE})
        schedules.append({"device_id": i, "type": "posture-break", "interval_minutes": 30,
                          "windows": windows_to_text(entry.windows), "days": days_to_bits(entry.days),
                          "due_at": DUE, "send_at": DUE, "attempts": 0})
    with app.extensions["mbr_db"].session.begin() as session:
        session.execute(insert(Device), devices)
        session.execute(insert(Schedule), schedules)


def run(n: int, threads: int, conn, subscriptions: list[dict]) -> None:
    instance = tempfile.mkdtemp(prefix="mbr-push-bench-")
    app = create_app(push_config(instance, PUSH_SEND_THREADS=threads))
    conn.send(("key", app.extensions["mbr_vapid_public"]))
    conn.recv()
    load(app, subscriptions)
    scheduler = Scheduler.from_app(app, threads=threads, batch_size=200)
    started = time.perf_counter()
    stats = scheduler.run_once(DUE)
    wall = time.perf_counter() - started
    scheduler.close()
    conn.send("stats")
    requests_seen, accepted, problems = conn.recv()
    sender = scheduler.sender
    worker_time = wall * threads
    print(f"threads={threads}: {stats.sent:,} of {n:,} sent in {wall:.2f} s = {stats.sent / wall:,.0f} sends/s"
          f" (push service: {requests_seen:,} requests, {accepted:,} accepted, {len(problems)} refused)")
    print(f"  encryption (ECDH + HKDF + AES-GCM, pywebpush/http_ece): {sender.encrypt_seconds:.2f} s"
          f" = {100 * sender.encrypt_seconds / worker_time:.0f}% of the sending threads' time"
          f" ({1000 * sender.encrypt_seconds / max(1, sender.sends):.2f} ms per message)")
    print(f"  VAPID signing: {sender.sign_seconds * 1000:.1f} ms in all (one token per push service, reused)")
    if problems:
        print(f"  push service problems: {problems}")
    app.extensions["mbr_db"].dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="subscriptions, each with one due reminder")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4], help="sender thread counts to try")
    parser.add_argument("--decrypt", action="store_true", help="the push service decrypts every message")
    args = parser.parse_args()

    parent, child = mp.Pipe()
    service = mp.Process(target=serve, args=(args.n, args.decrypt, child), daemon=True)
    service.start()
    print(f"Creating {args.n:,} subscriptions (P-256 key pairs) in the push service process ...", flush=True)
    subscriptions = parent.recv()
    print(f"Python {sys.version.split()[0]}, {mp.cpu_count()} CPUs, SQLite, local push service"
          f" {'decrypting' if args.decrypt else 'verifying VAPID'} in its own process")
    for threads in args.threads:
        run(args.n, threads, parent, subscriptions)
    parent.send("stop")
    service.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
