"""Clone progress, kept in the shared cache.

The copy holds the database's write lock on SQLite, so progress cannot be
written to the job row while it runs.
"""

from app.extensions import cache

PROGRESS_PREFIX = "clone-progress:"
PROGRESS_SECONDS = 3600


def set_progress(job_id: int, stage: str, percent: int) -> None:
    cache.set(f"{PROGRESS_PREFIX}{job_id}", {"stage": stage, "percent": percent}, timeout=PROGRESS_SECONDS)


def get_progress(job_id: int) -> dict | None:
    return cache.get(f"{PROGRESS_PREFIX}{job_id}")


def clear_progress(job_id: int) -> None:
    cache.delete(f"{PROGRESS_PREFIX}{job_id}")
