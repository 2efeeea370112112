"""Benchmark of the clone job against its floor, on rooms of three sizes.

For each room size the script builds a source room with bulk inserts, then
runs the real clone job body (``app.cloning.runner.run_clone_job``) several
times, each into a new target room, and measures:

- the copy transaction (``_copy_once``, from its BEGIN to its COMMIT) and the
  whole job body (claim, copy, notification), without any queue polling;
- the SQL statements the job sends (SQLAlchemy ``before_cursor_execute``);
- the media bytes the blob store writes and the files in the media folder;
- the peak of Python memory during one more job (tracemalloc, in a run of its
  own because tracing slows the code down).

In the same run it copies the same rows into other target rooms with four
hand-written statements (three INSERT ... SELECT and one UPDATE) in their own
transaction: that floor is what the database itself needs for the copy.

Run it with ``python benchmarks/clone.py`` (SQLite in a temporary folder) or
add ``--database-url postgresql+psycopg://USER@127.0.0.1/EMPTY_DATABASE``.
"""

import argparse
import os
import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# Make the project's packages importable when the file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, bindparam, func, insert, select, text  # noqa: E402

from benchmarks.support.instance import migrated_app, safe_url, temporary_instance  # noqa: E402
from benchmarks.support.report import Target, finish, machine_facts, median, milliseconds, print_machine, print_table  # noqa: E402
from benchmarks.support.rooms import SIZES, BuiltRoom, add_course, build_room, store_sample_blobs  # noqa: E402
from benchmarks.support.statements import StatementCounter  # noqa: E402

MIB = 1024 * 1024
# Targets for the large room, on a machine with 2 cores.
MAX_JOB_SECONDS = 1.5
MAX_FLOOR_RATIO = 3.0
MAX_PEAK_MIB = 100


@dataclass(frozen=True)
class JobRun:
    job_seconds: float
    copy_seconds: float
    statements: int
    copy_statements: int
    copy_attempts: int
    bytes_written: int
    media_files_added: int
    # Peak of traced Python memory during the job body, when it ran under tracemalloc.
    peak_bytes: int | None


@dataclass(frozen=True)
class FloorRun:
    seconds: float
    statements: int
    peak_bytes: int | None


class CopyTransactionProbe:
    """Times each call of the runner's ``_copy_once`` and counts its statements.

    The runner looks ``_copy_once`` up in its module on every call, so a
    wrapper put there sees every attempt of the real copy transaction.
    """

    def __init__(self, counter: StatementCounter):
        from app.cloning import runner

        self._runner = runner
        self._original = runner._copy_once
        self._counter = counter
        self.calls: list[tuple[float, int]] = []
        runner._copy_once = self._timed

    def _timed(self, *args, **kwargs):
        statements_before = len(self._counter.statements)
        started = time.perf_counter()
        try:
            return self._original(*args, **kwargs)
        finally:
            self.calls.append((time.perf_counter() - started, len(self._counter.statements) - statements_before))

    def close(self) -> None:
        self._runner._copy_once = self._original


# The floor: the same rows copied by hand-written SQL and nothing else.
FLOOR_STATEMENTS = (
    """
    INSERT INTO asset (kind, title, file_name, media_type, size_bytes, content_hash, alt_text,
                       captions_hash, captions_file_name, created_by_id, room_id, created_at, source_asset_id)
    SELECT kind, title, file_name, media_type, size_bytes, content_hash, alt_text,
           captions_hash, captions_file_name, created_by_id, :target, :now, id
    FROM asset WHERE room_id = :source
    """,
    """
    INSERT INTO storyboard_item (position, kind, note, url, link_title, room_id, asset_id, created_at)
    SELECT item.position, item.kind, item.note, item.url, item.link_title, :target, copy.id, :now
    FROM storyboard_item AS item
    LEFT JOIN asset AS copy ON copy.room_id = :target AND copy.source_asset_id = item.asset_id
    WHERE item.room_id = :source
    """,
    """
    INSERT INTO interaction (kind, title, body, options, correct_options, room_id, status,
                             created_at, updated_at, source_interaction_id)
    SELECT kind, title, body, options, correct_options, :target, 'draft', :now, :now, id
    FROM interaction WHERE room_id = :source AND status <> 'deleted'
    """,
    """
    UPDATE room SET settings = (SELECT source.settings FROM room AS source WHERE source.id = :source),
                    updated_at = :now
    WHERE id = :target
    """,
)


def copy_options(engine) -> dict:
    """Return the connection options the clone job uses for its copy transaction."""
    from app.database import SQLITE_DEFERRED

    if engine.dialect.name == "postgresql":
        return {"isolation_level": "REPEATABLE READ"}
    if engine.dialect.name == "sqlite":
        return {SQLITE_DEFERRED: True}
    return {}


def copy_floor(
    engine, counter: StatementCounter, *, source_id: int, target_id: int, now: datetime, trace_memory: bool
) -> FloorRun:
    """Copy the source's rows into the target with FLOOR_STATEMENTS in one transaction; time BEGIN to COMMIT."""
    from app.models.base import UTCDateTime

    statements = [
        text(sql).bindparams(bindparam("now", type_=UTCDateTime())) if ":now" in sql else text(sql)
        for sql in FLOOR_STATEMENTS
    ]
    values = {"source": source_id, "target": target_id, "now": now}
    with engine.connect() as connection:
        connection = connection.execution_options(**copy_options(engine))
        with counter.counting() as sent, traced_memory(trace_memory) as peak:
            started = time.perf_counter()
            with connection.begin():
                for statement in statements:
                    connection.execute(statement, values)
            seconds = time.perf_counter() - started
    return FloorRun(seconds=seconds, statements=len(sent), peak_bytes=peak.get("bytes"))


def new_target_room(connection: Connection, source_id: int, name: str, *, cloning: bool) -> int:
    from app.models import Room, RoomStatus

    source = connection.execute(select(Room.course_id, Room.owner_id).where(Room.id == source_id)).one()
    return connection.execute(
        insert(Room)
        .values(
            course_id=source.course_id,
            owner_id=source.owner_id,
            parent_id=source_id,
            name=name,
            status=RoomStatus.CLONING if cloning else RoomStatus.READY,
            settings={},
        )
        .returning(Room.id)
    ).scalar_one()


def queue_clone(connection: Connection, source_id: int, key: str) -> int:
    """Insert a target room and a queued job row, as a clone request does; return the job id."""
    from app.models import CloneJob, CloneJobStatus, Room

    target_id = new_target_room(connection, source_id, f"Copy {key}", cloning=True)
    requested_by = connection.execute(select(Room.owner_id).where(Room.id == source_id)).scalar_one()
    return connection.execute(
        insert(CloneJob)
        .values(
            source_room_id=source_id,
            target_room_id=target_id,
            requested_by_id=requested_by,
            idempotency_key=key,
            status=CloneJobStatus.QUEUED,
        )
        .returning(CloneJob.id)
    ).scalar_one()


def checkpoint_sqlite(engine) -> None:
    """Move SQLite's write-ahead log into the database file before a timed copy.

    SQLite checkpoints inside the commit that grows the log past
    ``PRAGMA wal_autocheckpoint`` pages (1,000 by default), and with jobs and
    floors taking turns that commit would fall on the same kind of copy every
    time. After this, each copy writes the log from its start.
    """
    if engine.dialect.name != "sqlite":
        return
    # A raw connection, because SQLAlchemy would wrap the PRAGMA in BEGIN IMMEDIATE, where it cannot run.
    connection = engine.raw_connection()
    try:
        busy, _log_pages, _moved_pages = connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
    finally:
        connection.close()
    if busy:
        sys.exit("SQLite could not checkpoint its write-ahead log before a timed copy: another connection is reading.")


def count_files(folder: Path) -> int:
    return sum(len(files) for _root, _folders, files in os.walk(folder))


def copied_rows(connection: Connection, room_id: int) -> tuple[int, int, int, int]:
    """Return the assets, storyboard items, interactions and settings keys of a room."""
    from app.models import Asset, Interaction, Room, StoryboardItem

    def count(model) -> int:
        return connection.execute(select(func.count()).select_from(model).where(model.room_id == room_id)).scalar_one()

    settings = connection.execute(select(Room.settings).where(Room.id == room_id)).scalar_one()
    return count(Asset), count(StoryboardItem), count(Interaction), len(settings or {})


def check_copy(connection: Connection, built: BuiltRoom, target_id: int, what: str) -> None:
    """Exit with a message unless the target contains every row the clone must copy."""
    expected = (built.assets, built.storyboard_items, built.copied_interactions, built.settings_keys)
    found = copied_rows(connection, target_id)
    if found != expected:
        sys.exit(
            f"The {what} into room {target_id} copied (assets, storyboard items, interactions, settings keys) "
            f"{found}, expected {expected}."
        )


def run_job(
    app, counter: StatementCounter, probe: CopyTransactionProbe, built: BuiltRoom, key: str, *, trace_memory: bool = False
) -> JobRun:
    """Queue a clone of the built room and run the job body once, measured."""
    from app.cloning.runner import run_clone_job
    from app.extensions import db
    from app.models import CloneJob, CloneJobStatus
    from app.storage import blob_store

    with db.engine.begin() as connection:
        job_id = queue_clone(connection, built.room_id, key)
    store = blob_store()
    media_files = count_files(Path(app.config["ROOMS_MEDIA_DIR"]))
    bytes_before = store.bytes_written
    checkpoint_sqlite(db.engine)
    probe.calls.clear()

    with counter.counting() as sent, traced_memory(trace_memory) as peak:
        started = time.perf_counter()
        run_clone_job(job_id)
        job_seconds = time.perf_counter() - started

    with db.engine.connect() as connection:
        job = connection.execute(select(CloneJob.status, CloneJob.target_room_id, CloneJob.error).where(CloneJob.id == job_id)).one()
        if job.status != CloneJobStatus.SUCCEEDED:
            sys.exit(f"Clone job {job_id} ended {job.status.value}: {job.error}")
        check_copy(connection, built, job.target_room_id, f"clone job {job_id}")
    return JobRun(
        job_seconds=job_seconds,
        copy_seconds=probe.calls[-1][0],
        statements=len(sent),
        copy_statements=probe.calls[-1][1],
        copy_attempts=len(probe.calls),
        bytes_written=store.bytes_written - bytes_before,
        media_files_added=count_files(Path(app.config["ROOMS_MEDIA_DIR"])) - media_files,
        peak_bytes=peak.get("bytes"),
    )


def run_floor(app, counter: StatementCounter, built: BuiltRoom, key: str, *, trace_memory: bool = False) -> FloorRun:
    from app.extensions import db
    from app.models.base import utcnow

    with db.engine.begin() as connection:
        target_id = new_target_room(connection, built.room_id, f"Floor {key}", cloning=False)
    checkpoint_sqlite(db.engine)
    floor = copy_floor(
        db.engine, counter, source_id=built.room_id, target_id=target_id, now=utcnow(), trace_memory=trace_memory
    )
    with db.engine.connect() as connection:
        check_copy(connection, built, target_id, "floor copy")
    return floor


@contextmanager
def traced_memory(enabled: bool) -> Iterator[dict]:
    """Trace Python allocations in the block when ``enabled``; the yielded dict then gets the peak as "bytes"."""
    peak: dict = {}
    if not enabled:
        yield peak
        return
    tracemalloc.start()
    try:
        yield peak
        peak["bytes"] = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure_size(app, counter, probe, size_name: str, built: BuiltRoom, runs: int) -> dict:
    jobs: list[JobRun] = []
    floors: list[FloorRun] = []
    # Jobs and floors alternate, so that a slow spell of the machine hits both.
    for run in range(runs):
        jobs.append(run_job(app, counter, probe, built, f"{size_name}-job-{run}"))
        floors.append(run_floor(app, counter, built, f"{size_name}-floor-{run}"))

    # Tracing slows Python down, so the memory runs are extra runs, left out of the times.
    job_peak = run_job(app, counter, probe, built, f"{size_name}-traced-job", trace_memory=True).peak_bytes
    floor_peak = run_floor(app, counter, built, f"{size_name}-traced-floor", trace_memory=True).peak_bytes

    copy_median = median([job.copy_seconds for job in jobs])
    floor_median = median([floor.seconds for floor in floors])
    return {
        "rows": {
            "assets": built.assets,
            "storyboard_items": built.storyboard_items,
            "interactions": built.interactions,
            "deleted_interactions": built.deleted_interactions,
            "responses": built.responses,
            "settings_keys": built.settings_keys,
        },
        "runs": runs,
        "copy_ms_median": milliseconds(copy_median),
        "copy_ms_max": milliseconds(max(job.copy_seconds for job in jobs)),
        "job_ms_median": milliseconds(median([job.job_seconds for job in jobs])),
        "job_ms_max": milliseconds(max(job.job_seconds for job in jobs)),
        "floor_ms_median": milliseconds(floor_median),
        "floor_ms_max": milliseconds(max(floor.seconds for floor in floors)),
        "ratio_to_floor": round(copy_median / floor_median, 2),
        "job_statements": sorted({job.statements for job in jobs}),
        "copy_statements": sorted({job.copy_statements for job in jobs}),
        "floor_statements": sorted({floor.statements for floor in floors}),
        "copy_attempts_max": max(job.copy_attempts for job in jobs),
        "media_bytes_written": sum(job.bytes_written for job in jobs),
        "media_files_added": sum(job.media_files_added for job in jobs),
        "job_peak_mib": round(job_peak / MIB, 2),
        "floor_peak_mib": round(floor_peak / MIB, 2),
    }


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL of an empty PostgreSQL database to run on; "
        "without it the benchmark uses a new SQLite file in a temporary folder",
    )
    parser.add_argument("--runs", type=int, default=9, help="timed jobs and floor copies per room size (default 9)")
    parser.add_argument(
        "--sizes", default="small,medium,large", help="comma-separated room sizes to run (default small,medium,large)"
    )
    parser.add_argument("--keep-instance", action="store_true", help="keep the temporary instance folder for inspection")
    arguments = parser.parse_args()
    arguments.sizes = [name.strip() for name in arguments.sizes.split(",") if name.strip()]
    unknown = [name for name in arguments.sizes if name not in SIZES]
    if unknown:
        parser.error(f"unknown room size {', '.join(unknown)}: choose from {', '.join(SIZES)}")
    if not 1 <= arguments.runs <= 50:
        parser.error("--runs must be between 1 and 50")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    with temporary_instance("clone", keep=arguments.keep_instance) as instance:
        app = migrated_app(instance, arguments.database_url)
        with app.app_context():
            return benchmark(app, arguments)


def benchmark(app, arguments: argparse.Namespace) -> int:
    from app.extensions import db
    from app.lti.platforms import PlatformFields, save_platform
    from app.models.base import utcnow
    from app.storage import blob_store

    engine = db.engine
    facts = machine_facts(engine)
    if arguments.database_url:
        facts["database_url"] = safe_url(arguments.database_url)
    print_machine(facts)

    platform, _created = save_platform(
        db.session,
        PlatformFields(
            issuer="https://lms.benchmark.test",
            client_id="benchmark",
            auth_login_url="https://lms.benchmark.test/auth",
            jwks_url="https://lms.benchmark.test/jwks",
            deployment_ids=["deployment-1"],
        ),
    )
    db.session.commit()
    platform_id = platform.id
    # The session's transaction would hold SQLite's write lock (BEGIN IMMEDIATE) against the engine's own.
    db.session.close()
    content_hashes = store_sample_blobs(blob_store())

    built_rooms = {}
    build_seconds = {}
    with engine.begin() as connection:
        course_id, owner_id, learner_ids = add_course(connection, platform_id, context_id="benchmark-course")
    for name in arguments.sizes:
        started = time.perf_counter()
        with engine.begin() as connection:
            built_rooms[name] = build_room(
                connection,
                course_id=course_id,
                owner_id=owner_id,
                learner_ids=learner_ids,
                size=SIZES[name],
                content_hashes=content_hashes,
                now=utcnow(),
            )
        build_seconds[name] = time.perf_counter() - started

    counter = StatementCounter(engine)
    probe = CopyTransactionProbe(counter)
    try:
        results = {
            name: measure_size(app, counter, probe, name, built, arguments.runs) for name, built in built_rooms.items()
        }
    finally:
        probe.close()
        counter.close()
    for name, seconds in build_seconds.items():
        results[name]["build_seconds"] = round(seconds, 2)

    print_results(results)
    return finish("clone", facts, results, clone_targets(results))


def print_results(results: dict) -> None:
    print_table(
        ["room", "assets", "items", "interactions", "responses", "copy ms (median)", "copy ms (max)",
         "job ms (median)", "job ms (max)", "floor ms (median)", "copy / floor"],
        [
            [
                name,
                result["rows"]["assets"],
                result["rows"]["storyboard_items"],
                result["rows"]["interactions"],
                result["rows"]["responses"],
                result["copy_ms_median"],
                result["copy_ms_max"],
                result["job_ms_median"],
                result["job_ms_max"],
                result["floor_ms_median"],
                result["ratio_to_floor"],
            ]
            for name, result in results.items()
        ],
    )
    print_table(
        ["room", "job statements", "copy statements", "floor statements", "media bytes written", "media files added",
         "job peak MiB", "floor peak MiB"],
        [
            [
                name,
                ", ".join(map(str, result["job_statements"])),
                ", ".join(map(str, result["copy_statements"])),
                ", ".join(map(str, result["floor_statements"])),
                result["media_bytes_written"],
                result["media_files_added"],
                result["job_peak_mib"],
                result["floor_peak_mib"],
            ]
            for name, result in results.items()
        ],
    )


def clone_targets(results: dict) -> list[Target]:
    """Return the targets of the large room; the statement target compares it with the small room."""
    large = results.get("large")
    if large is None:
        return []
    targets = [
        Target("large_copy_seconds_max", round(large["copy_ms_max"] / 1000, 4), MAX_JOB_SECONDS, "s"),
        Target("large_job_seconds_max", round(large["job_ms_max"] / 1000, 4), MAX_JOB_SECONDS, "s"),
        Target("large_copy_to_floor_ratio", large["ratio_to_floor"], MAX_FLOOR_RATIO, "x"),
        Target("large_media_bytes_written", large["media_bytes_written"], 0, "bytes"),
        Target("large_media_files_added", large["media_files_added"], 0, "files"),
        Target("large_job_peak_mib", large["job_peak_mib"], MAX_PEAK_MIB, "MiB"),
    ]
    small = results.get("small")
    if small is not None:
        # One distinct count over every run of both sizes: the statements do not grow with the room.
        counts = set(small["job_statements"]) | set(large["job_statements"])
        targets.append(Target("distinct_job_statement_counts_small_and_large", len(counts), 1, "counts", equal=True))
    return targets


if __name__ == "__main__":
    sys.exit(main())
