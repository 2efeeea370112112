"""Test databases: one migrated template per session, and a database of its own for each test.

By default the template is a SQLite file, and each test gets a copy of it in its instance
folder. With ``ROOMS_TEST_DATABASE_URL`` set to a PostgreSQL URL, for example
``postgresql+psycopg://postgres@127.0.0.1:55432/postgres`` (``scripts/test-services``
starts such a server), the session migrates a template database once, and each test gets a
database created from it with ``CREATE DATABASE ... TEMPLATE``, dropped after the test. The
URL's role must be allowed to create databases; the database it names is used only to
create and drop the others.

With ``ROOMS_TEST_REDIS_URL`` set, the tests' apps and the tool processes they start use
that Redis database for the cache and the job queue. The suite flushes it before every test,
so it must hold nothing else.
"""

import itertools
import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

TEST_DATABASE_VARIABLE = "ROOMS_TEST_DATABASE_URL"
TEST_REDIS_VARIABLE = "ROOMS_TEST_REDIS_URL"
SQLITE_FILE_NAME = "rooms.sqlite3"


def configured_database_url() -> str | None:
    """Return the PostgreSQL URL the suite runs on, or None for SQLite."""
    url = os.environ.get(TEST_DATABASE_VARIABLE, "").strip()
    if not url:
        return None
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError(f"{TEST_DATABASE_VARIABLE} must be a postgresql+psycopg:// URL, got {make_url(url)!r}.")
    return url


def configured_redis_url() -> str | None:
    """Return the Redis URL the suite's cache and queue use, or None for the file cache and SQLite queue."""
    return os.environ.get(TEST_REDIS_VARIABLE, "").strip() or None


def flush_redis(url: str) -> None:
    """Delete every key of the Redis database that ``url`` names."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


class SqliteDatabases:
    """SQLite files copied from one migrated file."""

    dialect = "sqlite"

    def __init__(self, folder: Path):
        self.template_path = folder / SQLITE_FILE_NAME

    @property
    def template_url(self) -> str:
        return f"sqlite:///{self.template_path}"

    def prepare_template(self) -> None:
        """Nothing to do: migrating the template URL creates the file."""

    def create(self, instance: Path, *, migrated: bool = True) -> str:
        """Return the URL of a new database in ``instance``: a copy of the template, or no file yet."""
        instance.mkdir(parents=True, exist_ok=True)
        path = instance / SQLITE_FILE_NAME
        if migrated:
            shutil.copy(self.template_path, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Nothing to do: the file goes with the test's temporary folder."""

    def close(self) -> None:
        """Nothing to do."""


class PostgresDatabases:
    """PostgreSQL databases created from one migrated template database."""

    dialect = "postgresql"

    def __init__(self, admin_url: str):
        self.admin_url = make_url(admin_url)
        # The process id keeps two test sessions on one server apart.
        self.prefix = f"rooms_test_{os.getpid()}"
        self.template_name = f"{self.prefix}_template"
        self._numbers = itertools.count(1)
        self._engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def _url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    @property
    def template_url(self) -> str:
        return self._url(self.template_name)

    def _execute(self, statement: str) -> None:
        with self._engine.connect() as connection:
            connection.execute(text(statement))

    def prepare_template(self) -> None:
        """Create the template database, empty, in place of any left by an earlier session."""
        self._execute(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.template_name}"')

    def create(self, instance: Path, *, migrated: bool = True) -> str:
        """Create a database from the migrated template, or an empty one, and return its URL.

        ``CREATE DATABASE ... TEMPLATE`` fails while any session is connected to the
        template, so the session that migrated it must have closed its connections.
        """
        instance.mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}_{next(self._numbers)}"
        template = self.template_name if migrated else "template0"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        """Drop the database, ending the sessions that processes of the test left open."""
        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')
        self._engine.dispose()


def open_databases(folder: Path) -> SqliteDatabases | PostgresDatabases:
    """Return the databases of the configured kind; SQLite templates live in ``folder``."""
    url = configured_database_url()
    return PostgresDatabases(url) if url else SqliteDatabases(folder)
