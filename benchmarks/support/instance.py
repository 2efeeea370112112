"""A throwaway tool instance for one benchmark run: its own folder, database and settings."""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url


def safe_url(database_url: str) -> str:
    """Return the URL with its password replaced by ***, fit for output."""
    return make_url(database_url).render_as_string(hide_password=True)


def check_empty_database(database_url: str) -> None:
    """Exit with a message unless the database has no tables, so that a run never mixes with other data."""
    engine = create_engine(database_url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        sys.exit(
            f"The database {safe_url(database_url)} has {len(tables)} tables already. "
            "Give the benchmark an empty database, for example: dropdb rooms_bench && createdb rooms_bench."
        )


@contextmanager
def temporary_instance(label: str, *, keep: bool = False) -> Iterator[Path]:
    """Create an empty instance folder under the system's temporary folder; delete it afterwards unless ``keep``."""
    instance = Path(tempfile.mkdtemp(prefix=f"rooms-bench-{label}-"))
    try:
        yield instance
    finally:
        if keep:
            print(f"Instance folder kept: {instance}", file=sys.stderr)
        else:
            shutil.rmtree(instance, ignore_errors=True)


def instance_settings(instance: Path, database_url: str | None = None) -> dict[str, str]:
    """Return the ``ROOMS_*`` settings of a tool on this instance folder and database."""
    settings = {"ROOMS_INSTANCE_PATH": str(instance), "ROOMS_LOG_LEVEL": "WARNING"}
    if database_url:
        settings["ROOMS_DATABASE_URL"] = database_url
    return settings


def process_environment(settings: dict[str, str]) -> dict[str, str]:
    """Return this process's environment with ``settings`` in place of every ``ROOMS_*`` variable.

    The shell's own ``ROOMS_*`` variables could point the benchmark at another
    database, cache or secret than its own, so none of them is kept.
    """
    environment = {name: value for name, value in os.environ.items() if not name.startswith("ROOMS_")}
    environment.update(settings)
    return environment


def migrated_app(instance: Path, database_url: str | None = None, *, base_url: str = "http://localhost") -> Flask:
    """Create the app on the instance folder and apply every migration to its database.

    Without ``database_url`` the database is a new SQLite file in the folder.
    A PostgreSQL database must be empty.
    """
    if database_url:
        check_empty_database(database_url)
    environment = process_environment(instance_settings(instance, database_url))
    os.environ.clear()
    os.environ.update(environment)

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.lti import keys

    app = create_app({"ROOMS_BASE_URL": base_url})
    with app.app_context():
        upgrade()
        keys.ensure_keys(db.session, app.config["ROOMS_KEY_ENCRYPTION_KEY"])
        db.session.commit()
    return app
