"""The Alembic migrations build exactly the schema that the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.models.base import Base


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, Base.metadata)


def test_migrated_schema_matches_models(app):
    # A model change without its migration, or a migration that differs from the model,
    # shows up here as an added, removed or changed table, column, index or constraint.
    with app.app_context():
        assert schema_differences() == []


def test_downgrade_to_base_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        with db.engine.connect() as connection:
            tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set()

        upgrade()
        assert schema_differences() == []
