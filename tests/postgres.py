"""A throw-away PostgreSQL cluster for the tests: Debian's server binaries
(/usr/lib/postgresql/<version>/bin), a data directory in a temporary folder, a free
port on 127.0.0.1, no password (trust, loopback only), durability switched off for
speed. As root (CI) the server runs as an unprivileged user through runuser, because
PostgreSQL refuses to run as root.

Each test gets a fresh database, created from a template that is migrated once:
`CREATE DATABASE ... TEMPLATE` copies files and takes a few milliseconds.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

UNPRIVILEGED_USER = os.environ.get("MBR_TEST_PG_USER", "nobody")


class PostgresUnavailable(RuntimeError):
    pass


def server_bin() -> Path:
    """The newest Debian PostgreSQL server binaries (never a pg_ctl elsewhere on PATH,
    which a CI machine would not have)."""
    root = Path("/usr/lib/postgresql")
    versions = sorted((p for p in root.glob("*/bin") if (p / "initdb").exists()),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if not versions:
        raise PostgresUnavailable("PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin: "
                                  "install Debian's postgresql package (tests/run.sh does)")
    return versions[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        self.bin = server_bin()
        self.root = Path(tempfile.mkdtemp(prefix="mbr-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self._names = itertools.count(1)
        self.template: str | None = None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    def start(self) -> Cluster:
        if self.as_root:
            try:
                user = pwd.getpwnam(UNPRIVILEGED_USER)
            except KeyError as exc:
                raise PostgresUnavailable(f"no user {UNPRIVILEGED_USER!r} to run PostgreSQL as") from exc
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.root.chmod(0o700)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        options = " ".join([
            "-c listen_addresses=127.0.0.1", f"-c port={self.port}", f"-c unix_socket_directories={self.root}",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=300",
            "-c shared_buffers=64MB",
        ])
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self, template: str | None = None) -> str:
        name = f"mbr_test_{os.getpid()}_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def fresh_url(self) -> str:
        """A new database at the code's schema revision."""
        if self.template is None:
            from server.reminders.store import Store

            name = self.create_database()
            store = Store(self.url(name))
            store.upgrade()
            store.dispose()
            self.template = name
        return self.url(self.create_database(self.template))
