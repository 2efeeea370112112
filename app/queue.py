"""The background job queue (Huey): its own SQLite file, or Redis when configured.

Job state that matters lives in the database rows of the jobs themselves; the
queue only carries ids, and a lost message is re-enqueued by a sweeper.
The consumer is started by ``flask --app app worker`` (and by the serve and
demo commands, as a child process), never by ``create_app``, which only
chooses the queue's storage.
"""

import functools
import logging
from pathlib import Path

from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

logger = logging.getLogger(__name__)

QUEUE_NAME = "rooms-lti"

# Tasks register on this object at import. Its storage is chosen by
# configure_queue() from the app's settings; until then it is in memory, so
# that importing the module creates no file and opens no connection.
huey = Huey(QUEUE_NAME, results=False, storage_class=MemoryStorage)


def configure_queue(redis_url: str | None, instance_path: str) -> None:
    """Point the queue at Redis when configured, else at its own SQLite file in the instance folder."""
    if redis_url:
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": redis_url}
    else:
        path = Path(instance_path)
        path.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(path / "huey.sqlite3")}
    huey.storage = huey.create_storage()


_flask_app = None


def set_task_app(app) -> None:
    """Give tasks the Flask app whose context they run in (called by the worker)."""
    global _flask_app
    _flask_app = app


def _task_app():
    global _flask_app
    if _flask_app is None:
        from app import create_app

        _flask_app = create_app()
    return _flask_app


def in_app_context(function):
    """Run a task body inside an application context of the worker's app."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with _task_app().app_context():
            return function(*args, **kwargs)

    return wrapper


def load_tasks() -> None:
    """Import every module that defines tasks, so that a consumer knows them."""
    import app.cloning.tasks  # noqa: F401
    import app.lti.tasks  # noqa: F401
    import app.rooms.tasks  # noqa: F401
