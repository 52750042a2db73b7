"""Push delivery benchmark: N subscriptions, each with one reminder due at the same
instant, sent by the scheduler to a local Web Push service on 127.0.0.1 (in its own
process, like a real push service it does not share the senders' interpreter).

    .venv/bin/python bench/push_bench.py                       # 100,000 on PostgreSQL, 1, 2 and 4 workers
    .venv/bin/python bench/push_bench.py -n 20000 --workers 1 2
    .venv/bin/python bench/push_bench.py --sqlite -n 10000     # one process on SQLite, 1 and 4 threads

The PostgreSQL run starts a throw-away cluster (tests/postgres.py: Debian's server
binaries) and runs each worker as its own process (`python -m server worker` does the
same work), each with PUSH_SEND_THREADS sender threads. It prints, per worker count:
sends per second in all and per worker, the claim query's time, the time recording
results, the share of the workers' time in encryption, and the CPU each party used, then
where the bottleneck is. Figures, not pass/fail; only loopback is used. The push
service checks every VAPID token (signatures are cached per token); with --decrypt it
also decrypts every message.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update  # noqa: E402

from server.config import load_config  # noqa: E402
from server.content import load_content  # noqa: E402
from server.reminders import rules, setup  # noqa: E402
from server.reminders.store import Device, Schedule, days_to_bits, sha256_hex, windows_to_text  # noqa: E402
from tests.conftest_push import LocalPushService, push_config  # noqa: E402

DUE = int(datetime(2024, 6, 3, 9, 30, tzinfo=ZoneInfo("Europe/London")).timestamp())  # a Monday
CORES = os.cpu_count() or 1


def cpu_seconds(pids: list[int]) -> float:
    """CPU used by these processes and the children they have reaped (PostgreSQL's
    postmaster reaps each connection's backend when it exits)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        except (OSError, IndexError):
            pass
    return total / ticks


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"postgres") or b"/bin/postgres" in command:
                pids.append(int(entry.name))
    return pids


def serve(n: int, decrypt: bool, conn) -> None:
    """The push service process: creates the subscriptions (their private keys stay
    here, like a browser's), then answers the senders until told to stop."""
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
            conn.send(os.getpid())
        elif message == "stats":
            conn.send((service.requests, len(service.received), service.problems[:3]))
    service.stop()


def config_for(instance: str, database_url: str | None, threads: int) -> dict:
    config = load_config(push_config(instance, PUSH_SEND_THREADS=threads))
    if database_url:
        config["DATABASE_URL"] = database_url
    return config


def reminder_content() -> list[dict]:
    config = load_config()
    return list(load_content(config["CONTENT_DIR"], Path(config["CLIENT_DIR"]) / "static" / "illustrations")
                .reminders.values())


def load(store, subscriptions: list[dict]) -> None:
    entry = rules.entry_from_plan("posture-break", {"interval": 30, "windows": [{"start": "09:00", "end": "17:30"}],
                                                    "days": ["mon", "tue", "wed", "thu", "fri"]})
    chunk = 5000
    for first in range(0, len(subscriptions), chunk):
        devices, schedules = [], []
        for i, sub in enumerate(subscriptions[first:first + chunk], start=first + 1):
            devices.append({"id": i, "token_hash": sha256_hex(f"token-{i}"), "endpoint": sub["endpoint"],
                            "endpoint_hash": sha256_hex(sub["endpoint"]), "p256dh": sub["keys"]["p256dh"],
                            "auth": sub["keys"]["auth"], "timezone": "Europe/London", "created_at": DUE,
                            "updated_at": DUE})
            schedules.append({"device_id": i, "type": "posture-break", "interval_minutes": 30,
                              "windows": windows_to_text(entry.windows), "days": days_to_bits(entry.days),
                              "due_at": DUE, "send_at": DUE, "attempts": 0})
        with store.session.begin() as session:
            session.execute(insert(Device), devices)
            session.execute(insert(Schedule), schedules)


def reset(store) -> None:
    with store.session.begin() as session:
        session.execute(update(Schedule).values(due_at=DUE, send_at=DUE, attempts=0, claim_token=None,
                                                claimed_until=None, snoozed_until=None, not_before=None))


def worker(instance: str, database_url: str | None, threads: int, content: list[dict], start, results) -> None:
    """One worker process: passes until nothing is due, then its figures."""
    reminders = setup(config_for(instance, database_url, threads), content, migrate=False)
    scheduler = reminders.scheduler(threads=threads, clock=lambda: DUE)
    start.wait()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    sent = 0
    while True:
        stats = scheduler.run_once(DUE)
        sent += stats.sent
        if not stats.claimed:
            break
    wall = time.perf_counter() - wall0
    scheduler.close()
    t = scheduler.timings
    results.put({"sent": sent, "wall": wall, "cpu": time.process_time() - cpu0, "claim": t.claim_seconds,
                 "claims": t.claims, "record": t.record_seconds, "records": t.records,
                 "encrypt": reminders.sender.encrypt_seconds, "sends": reminders.sender.sends})
    reminders.close()


def run_workers(count: int, threads: int, instance: str, database_url: str, content, conn, n: int) -> float:
    ctx = mp.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=worker, args=(instance, database_url, threads, content, start, results))
                 for _ in range(count)]
    for p in processes:
        p.start()
    time.sleep(2)  # let every worker import and connect before the clock starts
    pg_before = cpu_seconds(postgres_pids())
    conn.send("stats")
    conn.recv()
    service_before = cpu_seconds([service_pid])
    wall0 = time.perf_counter()
    start.set()
    figures = [results.get() for _ in processes]
    wall = time.perf_counter() - wall0
    for p in processes:
        p.join()
    pg_cpu = cpu_seconds(postgres_pids()) - pg_before
    service_cpu = cpu_seconds([service_pid]) - service_before
    conn.send("stats")
    requests_seen, accepted, problems = conn.recv()
    sent = sum(f["sent"] for f in figures)
    worker_time = sum(f["wall"] for f in figures) * threads
    worker_cpu = sum(f["cpu"] for f in figures)
    claim = sum(f["claim"] for f in figures)
    claims = sum(f["claims"] for f in figures)
    record = sum(f["record"] for f in figures)
    records = sum(f["records"] for f in figures)
    encrypt = sum(f["encrypt"] for f in figures)
    print(f"\n{count} worker(s) x {threads} sender threads: {sent:,} of {n:,} sent in {wall:.1f} s = "
          f"{sent / wall:,.0f} sends/s ({sent / wall / count:,.0f} per worker); push service saw "
          f"{requests_seen:,} requests, accepted {accepted:,}, {len(problems)} refused, "
          f"{requests_seen - n:,} duplicates")
    print(f"  claim query: {1000 * claim / max(1, claims):.1f} ms per claim of up to {8 * threads} rows "
          f"({claims:,} claims, {100 * claim / (sum(f['wall'] for f in figures)):.0f}% of the workers' wall time)")
    print(f"  recording a result: {1000 * record / max(1, records):.2f} ms each "
          f"({100 * record / worker_time:.0f}% of sender-thread time)")
    print(f"  encryption (ECDH + HKDF + AES-GCM): {1000 * encrypt / max(1, sent):.2f} ms per message "
          f"= {100 * encrypt / worker_time:.0f}% of sender-thread time")
    busy = worker_cpu + service_cpu + pg_cpu
    load = Path("/proc/loadavg").read_text().split()[0]
    gil = max(f["cpu"] / f["wall"] for f in figures)
    print(f"  CPU over the run ({CORES} cores = {CORES * wall:.0f} core-s): workers {worker_cpu:.0f} s, "
          f"push service {service_cpu:.0f} s, PostgreSQL {pg_cpu:.0f} s = {100 * busy / (CORES * wall):.0f}% busy "
          f"(load average {load}: other processes on the machine take the rest)")
    parties = {"the workers (Python: encryption, HTTP, ORM)": worker_cpu, "the local push service": service_cpu,
               "PostgreSQL": pg_cpu}
    top = max(parties, key=parties.get)
    if gil > 0.8:
        print(f"  bottleneck: each worker process is bound by its own interpreter (one core at most: up to "
              f"{100 * gil:.0f}% of a core while the machine is {100 * busy / (CORES * wall):.0f}% busy); "
              f"per message it spends about {1000 * worker_cpu / max(1, sent):.1f} ms of CPU, of which "
              f"{1000 * encrypt / max(1, sent):.1f} ms encrypting")
    elif busy > 0.85 * CORES * wall:
        print(f"  bottleneck: the machine's {CORES} cores are saturated; the largest share goes to {top} "
              f"({100 * parties[top] / busy:.0f}%)")
    else:
        print(f"  bottleneck: our processes use {100 * busy / (CORES * wall):.0f}% of the cores (load average "
              f"{load}); with the machine shared, the rest is waiting for CPU and round trips (the push "
              f"service's answers, one commit per message); largest CPU share of ours: {top}")
    return sent / wall


service_pid = 0


def postgres_run(args, subscriptions, conn) -> None:
    global service_pid
    from tests.postgres import Cluster

    cluster = Cluster().start()
    try:
        url = cluster.fresh_url()
        instance = tempfile.mkdtemp(prefix="mbr-push-bench-")
        content = reminder_content()
        reminders = setup(config_for(instance, url, args.threads), content)
        conn.send(("key", reminders.vapid_public_key))
        service_pid = conn.recv()
        started = time.perf_counter()
        load(reminders.store, subscriptions)
        print(f"Loaded {len(subscriptions):,} devices and schedules into PostgreSQL in "
              f"{time.perf_counter() - started:.1f} s")
        rates = {}
        for count in args.workers:
            reset(reminders.store)
            conn.send(("key", reminders.vapid_public_key))
            conn.recv()
            rates[count] = run_workers(count, args.threads, instance, url, content, conn, args.n)
        reminders.close()
        base = rates[args.workers[0]]
        print("\nThroughput relative to " + f"{args.workers[0]} worker(s): "
              + ", ".join(f"{c} -> {r / base:.2f}x" for c, r in rates.items()))
        print("On this 2-core machine the workers, the push service and PostgreSQL share the same two cores, so "
              "more workers mostly add contention; on a larger machine (and with a real push service elsewhere) "
              "each worker adds about its own rate until PostgreSQL's commits per second (one per message) or "
              "the claim query become the limit.")
    finally:
        cluster.stop()


def sqlite_run(args, subscriptions, conn) -> None:
    content = reminder_content()
    for threads in args.sqlite_threads:
        instance = tempfile.mkdtemp(prefix="mbr-push-bench-")
        reminders = setup(config_for(instance, None, threads), content)
        conn.send(("key", reminders.vapid_public_key))
        conn.recv()
        load(reminders.store, subscriptions)
        scheduler = reminders.scheduler(threads=threads)
        started = time.perf_counter()
        stats = scheduler.run_once(DUE)
        wall = time.perf_counter() - started
        scheduler.close()
        sender = reminders.sender
        print(f"SQLite, threads={threads}: {stats.sent:,} sent in {wall:.2f} s = {stats.sent / wall:,.0f} sends/s; "
              f"encryption {100 * sender.encrypt_seconds / (wall * threads):.0f}% of sender time "
              f"({1000 * sender.encrypt_seconds / max(1, sender.sends):.2f} ms/message), recording "
              f"{1000 * scheduler.timings.record_seconds / max(1, scheduler.timings.records):.2f} ms/result")
        reminders.close()


def calendar_cost() -> None:
    """The heaviest unauthenticated request, the calendar file for the largest plan (every
    type, six windows, every 15 minutes, Pacific/Chatham), against a cheap API request,
    through the app in this process (no network, so the ratio is the app's own work)."""
    from server import create_app

    app = create_app(push_config(tempfile.mkdtemp(prefix="mbr-calendar-bench-"), PUSH_RATE_LIMIT=10**9))
    client = app.test_client()
    windows = [{"start": f"{h:02d}:00", "end": f"{h + 4:02d}:00" if h < 20 else "24:00"} for h in range(0, 24, 4)]
    heavy = {"timezone": "Pacific/Chatham", "reminders": {
        t: {"interval": 15, "windows": windows, "days": list(rules.DAY_NAMES)} for t in app.reminders.types}}

    def timed(call, rounds: int) -> float:
        started = time.perf_counter()
        for _ in range(rounds):
            call()
        return (time.perf_counter() - started) / rounds

    cheap = timed(lambda: client.get("/api/v1/push/key"), 200)
    cold = []
    for i in range(5):  # a new plan each time: the cache cannot help
        plan = json_copy(heavy)
        plan["reminders"][app.reminders.types[0]]["interval"] = 15 + i
        cold.append(timed(lambda p=plan: client.post("/api/v1/calendar/reminders.ics", json=p), 1))
    warm = timed(lambda: client.post("/api/v1/calendar/reminders.ics", json=heavy), 20)
    size = len(client.post("/api/v1/calendar/reminders.ics", json=heavy).data)
    print(f"Heaviest calendar request: {1000 * min(cold):.1f} ms uncached ({min(cold) / cheap:.0f}x a cheap API "
          f"request of {1000 * cheap:.2f} ms), {1000 * warm:.1f} ms cached ({warm / cheap:.0f}x); {size:,} bytes")
    app.reminders.close()


def json_copy(value):
    import json

    return json.loads(json.dumps(value))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=None, help="subscriptions, each with one due reminder")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker process counts")
    parser.add_argument("--threads", type=int, default=4, help="sender threads per worker")
    parser.add_argument("--sqlite", action="store_true", help="one process on SQLite instead")
    parser.add_argument("--sqlite-threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--decrypt", action="store_true", help="the push service decrypts every message")
    parser.add_argument("--calendar-only", action="store_true", help="only the calendar request's cost")
    args = parser.parse_args()
    calendar_cost()
    if args.calendar_only:
        return 0
    args.n = args.n or (10_000 if args.sqlite else 100_000)

    parent, child = mp.Pipe()
    service = mp.get_context("fork").Process(target=serve, args=(args.n, args.decrypt, child), daemon=True)
    service.start()
    print(f"Creating {args.n:,} subscriptions (P-256 key pairs) in the push service process ...", flush=True)
    subscriptions = parent.recv()
    print(f"Python {sys.version.split()[0]}, {CORES} CPUs, local push service "
          f"{'decrypting' if args.decrypt else 'verifying VAPID'} in its own process")
    if args.sqlite:
        sqlite_run(args, subscriptions, parent)
    else:
        postgres_run(args, subscriptions, parent)
    parent.send("stop")
    service.join(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
