"""Alembic owns the reminder schema, on SQLite and PostgreSQL: a database made by the
old `create_all` is recognised, stamped at the baseline and upgraded with its rows; a
database newer than the code is refused with a clear message; several processes
starting at once migrate one at a time (a lock), and `python -m server migrate` works."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    inspect,
    select,
    text,
)

from server import SchemaTooNew, create_app
from server.reminders.store import ADVISORY_LOCK_KEY, Device, Schedule, Store, default_url
from tests.conftest_push import (  # noqa: F401
    ManualClock,
    database_url_fixture,
    postgres_cluster_fixture,
    push_config,
    push_service_fixture,
)
from tests.test_push import at, delivered, make_app

ROOT = Path(__file__).resolve().parent.parent


def old_create_all_schema() -> MetaData:
    """The tables exactly as server/db.py's models made them with create_all."""
    meta = MetaData()
    Table("push_devices", meta,
          Column("id", Integer, primary_key=True),
          Column("token_hash", String(64), nullable=False, unique=True),
          Column("endpoint", String(2048), nullable=False),
          Column("endpoint_hash", String(64), nullable=False, unique=True),
          Column("p256dh", String(128), nullable=False),
          Column("auth", String(64), nullable=False),
          Column("timezone", String(64), nullable=False),
          Column("paused_until", BigInteger),
          Column("created_at", BigInteger, nullable=False),
          Column("updated_at", BigInteger, nullable=False))
    Table("push_schedules", meta,
          Column("id", Integer, primary_key=True),
          Column("device_id", Integer, ForeignKey("push_devices.id", ondelete="CASCADE"), nullable=False, index=True),
          Column("type", String(40), nullable=False),
          Column("interval_minutes", Integer, nullable=False),
          Column("windows", String(200), nullable=False),
          Column("days", Integer, nullable=False),
          Column("due_at", BigInteger), Column("send_at", BigInteger),
          Column("attempts", Integer, nullable=False),
          Column("snoozed_until", BigInteger), Column("not_before", BigInteger),
          Column("claim_token", String(32)), Column("claimed_until", BigInteger),
          UniqueConstraint("device_id", "type"),
          Index("ix_push_schedules_send_at", "send_at"))
    return meta


def url_for(database_url: str | None, instance: Path) -> str:
    return database_url or default_url(instance)


def test_a_database_made_by_create_all_is_stamped_upgraded_and_keeps_its_rows(tmp_path, database_url,
                                                                                  push_service):
    instance = tmp_path / "instance"
    instance.mkdir()
    store = Store(url_for(database_url, instance))
    # A fresh PostgreSQL database from the template is already migrated: start it over.
    with store.engine.begin() as connection:
        for table in ("push_schedules", "push_devices", "alembic_version"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
    old = old_create_all_schema()
    old.create_all(store.engine)
    subscriber = push_service.subscribe()
    keys = subscriber.json()["keys"]
    with store.engine.begin() as connection:
        connection.execute(old.tables["push_devices"].insert().values(
            id=7, token_hash="a" * 64, endpoint=subscriber.endpoint, endpoint_hash="b" * 64, p256dh=keys["p256dh"],
            auth=keys["auth"], timezone="Europe/London", created_at=1, updated_at=1))
        connection.execute(old.tables["push_schedules"].insert().values(
            device_id=7, type="posture-break", interval_minutes=30, windows="540-1050", days=31,
            due_at=at(9, 30), send_at=at(9, 30), attempts=0))
    assert store.current() is None

    assert store.upgrade() == ("0001", store.head())
    assert store.current() == store.head() == "0002"
    indexes = {i["name"] for i in inspect(store.engine).get_indexes("push_schedules")}
    assert {"ix_push_schedules_send_at", "ix_push_schedules_claim_token"} <= indexes
    with store.session() as session:
        assert session.scalar(select(Device.endpoint)) == subscriber.endpoint
        assert session.scalar(select(Schedule.due_at)) == at(9, 30)
    store.dispose()

    # The app starts on it and delivers the stored reminder.
    clock = ManualClock(at(9, 31))
    app = make_app(str(instance), clock, push_service, database_url)
    assert app.reminders.scheduler(clock=clock).run_once(at(9, 31)).sent == 1
    assert delivered(push_service, subscriber) == [("posture-break", at(9, 30))]
    # Upgrading again changes nothing.
    assert app.reminders.store.upgrade() == ("0002", "0002")
    app.reminders.close()


def test_a_database_newer_than_the_code_is_refused(tmp_path, database_url, capsys, monkeypatch):
    from server.__main__ import main  # here, not at collection: see test_factory's capsys use

    instance = tmp_path / "instance"
    store = Store(url_for(database_url, instance))
    store.upgrade()
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    store.dispose()
    config = push_config(str(instance), **({"DATABASE_URL": database_url} if database_url else {}))
    with pytest.raises(SchemaTooNew, match="revision 0099.*newer code"):
        create_app(config)
    monkeypatch.setenv("MBR_INSTANCE_DIR", str(instance))
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["migrate"]) == 2
    assert "cannot start: The reminder database is at schema revision 0099" in capsys.readouterr().err
    assert main(["worker"]) == 2
    assert "0099" in capsys.readouterr().err


def migrate_process(instance: Path, database_url: str | None) -> subprocess.Popen:
    env = {**os.environ, "MBR_INSTANCE_DIR": str(instance)}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.Popen([sys.executable, "-m", "server", "migrate"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def waiting_for_lock(store: Store, pid: int, database: str | None) -> bool:
    """Whether process `pid` is blocked on the migration lock."""
    if store.dialect == "postgresql":
        with store.engine.connect() as connection:
            return bool(connection.scalar(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND NOT l.granted AND a.pid IS NOT NULL "
                "AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"), {"key": ADVISORY_LOCK_KEY}))
    # /proc/locks lists a process waiting for a flock with "->" before its entry.
    return any("->" in line and f" {pid} " in line for line in Path("/proc/locks").read_text().splitlines())


def test_migrations_wait_for_each_other(tmp_path, database_url):
    """While one process holds the migration lock, `python -m server migrate` waits for
    it (seen in pg_locks or /proc/locks, not by timing), then finds the work done."""
    instance = tmp_path / "instance"
    instance.mkdir()
    store = Store(url_for(database_url, instance))
    with store.engine.begin() as connection:
        for table in ("push_schedules", "push_devices", "alembic_version"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
    with store._migration_lock():
        process = migrate_process(instance, database_url)
        deadline = time.monotonic() + 60
        while not waiting_for_lock(store, process.pid, database_url):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the migrate command never waited for the lock"
            time.sleep(0.05)  # polling the lock table
        assert store.current() is None  # it waits before looking
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert f"empty -> {store.head()}" in output
    assert store.current() == store.head()
    store.dispose()


def test_several_processes_starting_together_migrate_once(tmp_path, database_url):
    instance = tmp_path / "instance"
    instance.mkdir()
    store = Store(url_for(database_url, instance))
    with store.engine.begin() as connection:
        for table in ("push_schedules", "push_devices", "alembic_version"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
    processes = [migrate_process(instance, database_url) for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, outputs
    assert sum(f"empty -> {store.head()}" in out for out in outputs) == 1
    assert sum("up to date" in out for out in outputs) == 3
    assert store.current() == store.head()
    store.dispose()
