"""Database engine set-up: SQLite tuning for a web server beside a job consumer."""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

_busy_timeout_ms = 15000


def configure_sqlite(busy_timeout_ms: int) -> None:
    """Set the busy timeout that new SQLite connections use."""
    global _busy_timeout_ms
    _busy_timeout_ms = busy_timeout_ms


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return

    # Let SQLAlchemy's "begin" event below emit BEGIN instead of pysqlite,
    # which would otherwise start transactions late and as DEFERRED.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(_busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Execution option that makes a SQLite transaction start DEFERRED: it reads
# from a snapshot and takes the write lock only at its first write.
SQLITE_DEFERRED = "rooms_sqlite_deferred"


@event.listens_for(Engine, "begin")
def _on_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    if connection.get_execution_options().get(SQLITE_DEFERRED):
        connection.exec_driver_sql("BEGIN")
        return
    # BEGIN IMMEDIATE takes the write lock at the start, so that a transaction
    # that reads and then writes waits on the busy timeout instead of failing
    # with "database is locked" when the job consumer writes at the same time.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
