"""Counting the SQL statements an engine sends, with SQLAlchemy's ``before_cursor_execute`` event."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


class StatementCounter:
    """Records every statement the engine executes while counting is on.

    An executemany call is one statement. ``BEGIN`` and the SQLite ``PRAGMA``
    statements count too when they go through SQLAlchemy, and ``COMMIT`` does
    not, because pysqlite and psycopg send it without a cursor.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.statements: list[str] = []
        self._active = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, connection, cursor, statement, parameters, context, executemany) -> None:
        if self._active:
            self.statements.append(statement)

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        """Record the statements of the block into a new list, yielded to the caller."""
        self.statements = []
        self._active = True
        try:
            yield self.statements
        finally:
            self._active = False

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)
