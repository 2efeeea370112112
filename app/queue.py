"""The background job queue (Huey): its own SQLite file, or Redis when configured.

Job state that matters lives in the database rows of the jobs themselves; the
queue only carries ids, and a lost message is re-enqueued by a sweeper.
The consumer is started by ``flask --app app worker`` (and by the serve and
demo commands, as a child process), never by ``create_app``.
"""

import functools
import logging
import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUEUE_NAME = "rooms-lti"


def instance_path() -> Path:
    return Path(os.environ.get("ROOMS_INSTANCE_PATH") or PROJECT_ROOT / "instance")


def build_huey():
    """Build the queue from the environment, as every process does at import."""
    redis_url = (os.environ.get("ROOMS_REDIS_URL") or "").strip()
    if redis_url:
        return RedisHuey(QUEUE_NAME, url=redis_url, results=False)
    path = instance_path()
    path.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(path / "huey.sqlite3"), results=False)


huey = build_huey()

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
