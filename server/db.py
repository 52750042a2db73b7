"""Storage for reminder delivery (SQLAlchemy 2): push subscriptions and their schedules.

Only what delivery needs is stored: the push endpoint and its encryption keys, the
time zone, and per reminder type its interval, active windows and days, plus the
delivery bookkeeping. No health data, no history, no names.

SQLite in the instance folder by default; `DATABASE_URL` selects another database
(PostgreSQL for several app instances or workers). Instants are stored as integer
seconds since the epoch (UTC): comparisons are plain integer comparisons in every
database, and nothing depends on a driver's idea of time zones.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

from . import reminders as rem

DB_FILENAME = "reminders.sqlite3"


class Base(DeclarativeBase):
    pass


class Device(Base):
    """One browser's push subscription. The person's credential for changing it is a
    random token only the device holds; we keep its SHA-256 only."""

    __tablename__ = "push_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    endpoint: Mapped[str] = mapped_column(String(2048))
    # A unique index over a 2 KB column is costly or refused (MySQL); its hash is not.
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64))
    paused_until: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)

    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="device", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Schedule.type",
    )


class Schedule(Base):
    """One reminder type for one device, with its next due time kept up to date so a
    restart neither loses nor repeats a reminder."""

    __tablename__ = "push_schedules"
    __table_args__ = (
        UniqueConstraint("device_id", "type"),
        Index("ix_push_schedules_send_at", "send_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("push_devices.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    interval_minutes: Mapped[int] = mapped_column(Integer)
    windows: Mapped[str] = mapped_column(String(200))  # "540-750,810-1050" (local minutes)
    days: Mapped[int] = mapped_column(Integer)  # bit d set = active on weekday d (Monday=0)
    due_at: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the reminder to deliver
    send_at: Mapped[int | None] = mapped_column(BigInteger, default=None)  # when to try (later on retry)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    snoozed_until: Mapped[int | None] = mapped_column(BigInteger, default=None)
    not_before: Mapped[int | None] = mapped_column(BigInteger, default=None)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    claimed_until: Mapped[int | None] = mapped_column(BigInteger, default=None)

    device: Mapped[Device] = relationship(back_populates="schedules")

    def entry(self) -> rem.Entry:
        return rem.Entry(
            type=self.type,
            interval=self.interval_minutes,
            windows=windows_from_text(self.windows),
            days=frozenset(d for d in range(7) if self.days >> d & 1),
        )


def windows_to_text(windows: tuple[rem.Window, ...]) -> str:
    return ",".join(f"{w.start}-{w.end}" for w in windows)


def windows_from_text(text: str) -> tuple[rem.Window, ...]:
    pairs = (part.split("-") for part in text.split(",") if part)
    return tuple(rem.Window(int(a), int(b)) for a, b in pairs)


def days_to_bits(days: frozenset[int]) -> int:
    return sum(1 << d for d in days)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_url(instance_dir: str | Path) -> str:
    return f"sqlite:///{Path(instance_dir).resolve() / DB_FILENAME}"


def make_engine(url: str) -> Engine:
    # One PostgreSQL driver, psycopg 3 (`pip install "psycopg[binary]"`), whichever
    # spelling the platform hands out; an explicit driver (postgresql+psycopg2://) wins.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling starts transactions lazily and deferred;
        # a deferred transaction that reads and then writes can fail with "database is
        # locked" instead of waiting. We start every transaction ourselves as IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if url not in {"sqlite://", "sqlite:///:memory:"}:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # Writers (two schedulers, the API) queue on the lock instead of failing.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """An engine and a session factory; tables are created on first use."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        Base.metadata.create_all(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def for_app_config(config: dict[str, Any]) -> Database:
    return Database(config.get("DATABASE_URL") or default_url(config["INSTANCE_DIR"]))
