"""Storage for reminder delivery (SQLAlchemy 2): push subscriptions and their schedules.

Only what delivery needs is stored: the push endpoint and its encryption keys, the
time zone, and per reminder type its interval, active windows and days, plus the
delivery bookkeeping. No health data, no history, no names.

SQLite in the instance folder by default; `DATABASE_URL` selects another database
(PostgreSQL for several app instances or workers). Instants are stored as integer
seconds since the epoch (UTC): comparisons are plain integer comparisons in every
database, and nothing depends on a driver's idea of time zones.

Alembic owns the schema (`migrations/` beside this file). `Store.upgrade()` brings a
database to the code's revision under a lock (an advisory lock on PostgreSQL, a file
lock beside a SQLite file), so several processes starting together never race; a
database created before migrations existed (by `create_all`) is recognised and stamped
at the baseline; a database newer than the code is refused with `SchemaTooNew`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from . import rules

DB_FILENAME = "reminders.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
# Any constant both sides agree on; names the lock in pg_locks.
ADVISORY_LOCK_KEY = 0x4D42520001  # "MBR" + 1


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
        Index("ix_push_schedules_claim_token", "claim_token"),
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

    def entry(self) -> rules.Entry:
        return rules.Entry(
            type=self.type,
            interval=self.interval_minutes,
            windows=windows_from_text(self.windows),
            days=frozenset(d for d in range(7) if self.days >> d & 1),
        )


def windows_to_text(windows: tuple[rules.Window, ...]) -> str:
    return ",".join(f"{w.start}-{w.end}" for w in windows)


def windows_from_text(text: str) -> tuple[rules.Window, ...]:
    pairs = (part.split("-") for part in text.split(",") if part)
    return tuple(rules.Window(int(a), int(b)) for a, b in pairs)


def days_to_bits(days: frozenset[int]) -> int:
    return sum(1 << d for d in days)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_url(instance_dir: str | Path) -> str:
    return f"sqlite:///{Path(instance_dir).resolve() / DB_FILENAME}"


def normalise_url(url: str) -> str:
    # One PostgreSQL driver, psycopg 3 (`pip install -e ".[postgres]"`), whichever
    # spelling the platform hands out; an explicit driver (postgresql+psycopg2://) wins.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **options: Any) -> Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **options)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)

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


class SchemaTooNew(RuntimeError):
    """The database was migrated by newer code than this."""


class Store:
    """An engine and a session factory over a migrated database."""

    def __init__(self, url: str, **engine_options: Any):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_options)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()

    # --- schema -------------------------------------------------------------------

    def _alembic(self, connection: Connection):
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def head(self) -> str:
        from alembic.script import ScriptDirectory

        return ScriptDirectory(str(MIGRATIONS)).get_current_head()

    def current(self) -> str | None:
        """The database's revision (None when it has none)."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.scalar(text("SELECT version_num FROM alembic_version"))

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[Connection]:
        if self.dialect == "postgresql":
            with self.engine.connect() as connection:
                # Session-level: held across the migration's own transactions.
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
                connection.commit()
                try:
                    yield connection
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                    connection.commit()
            return
        database = make_url(self.url).database
        if self.dialect == "sqlite" and database and database != ":memory:":
            lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            with open(lock_path, "a+") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    with self.engine.connect() as connection:
                        yield connection
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
            return
        with self.engine.connect() as connection:
            yield connection

    def upgrade(self) -> tuple[str | None, str]:
        """Bring the schema to the code's head revision; return (before, after)."""
        from alembic import command
        from alembic.script import ScriptDirectory

        script = ScriptDirectory(str(MIGRATIONS))
        head = script.get_current_head()
        with self._migration_lock() as connection:
            config = self._alembic(connection)
            inspector = inspect(connection)
            before = None
            if inspector.has_table("alembic_version"):
                before = connection.scalar(text("SELECT version_num FROM alembic_version"))
            connection.commit()
            if before is not None and before not in {r.revision for r in script.walk_revisions()}:
                raise SchemaTooNew(
                    f"The reminder database is at schema revision {before}, which this version of "
                    f"Mid-Back Relief does not know (its newest is {head}): it was upgraded by newer "
                    "code. Run the newer version, or point DATABASE_URL at another database.")
            if before is None and inspector.has_table("push_devices"):
                # Created by create_all before migrations existed: that is the baseline.
                command.stamp(config, BASELINE)
                connection.commit()
                before = BASELINE
            if before != head:
                command.upgrade(config, "head")
                connection.commit()
        return before, head

    # --- queries the API and the scheduler share --------------------------------------

    def device_by_token(self, session: Session, token: str) -> Device | None:
        return session.scalars(select(Device).where(Device.token_hash == sha256_hex(token))).first()

    def device_by_endpoint(self, session: Session, endpoint: str) -> Device | None:
        return session.scalars(select(Device).where(Device.endpoint_hash == sha256_hex(endpoint))).first()

    def count_devices(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(Device)) or 0
