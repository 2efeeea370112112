"""Load and fault run: the production set-up under simulated users, with a queue worker killed mid-job.

The run starts the tool as production runs it, on 127.0.0.1 only: migrations with
``flask --app app db upgrade``, keys with ``flask --app app keys create``, gunicorn with
``gunicorn.conf.py`` (2 web workers) and 2 ``flask --app app worker`` consumers, on
PostgreSQL and Redis. A demo platform (``demo.platform.DemoPlatform``, on lti1p3platform)
signs the launches and a local HTTP server publishes its key set. Simulated instructors
launch, open pages, create a room with two uploads and clone it again and again. They follow
each clone's status until its job ends. Simulated learners launch and open the course page.
The client never retries.

Every clone job stops at the test barrier of ``app/cloning/runner.py`` after its snapshot
read, and a controller releases it at once. Once ``--kill-after`` seconds have passed, the
controller kills (SIGKILL) the consumer holding the next job there, starts a new consumer,
and then releases that job. The sweeper of the remaining consumers re-enqueues the job once
its heartbeat is older than ``--stale-after`` seconds, and another attempt finishes it.

After the load, the run waits until no job is queued or running. It then reports requests,
errors, p50 and p95 latency, clones requested and finished, jobs lost, duplicate rooms, and
the killed consumer's job with its final state. An error is any 5xx, any other unexpected
status, and any client timeout or connection error. It prints Markdown tables, then one
JSON object as its last line, and exits with status 1 when errors, lost jobs or duplicates
were found.

Needs a PostgreSQL server whose role may create databases, and a Redis database that the
run may flush; ``scripts/test-services start DIR`` starts both:

    eval "$(scripts/test-services start /tmp/rooms-services)"
    .venv/bin/python benchmarks/load_and_fault.py \\
        --database-url "$ROOMS_TEST_DATABASE_URL" --redis-url "$ROOMS_TEST_REDIS_URL"

The run creates its own database (dropped at the end unless ``--keep``) and instance folder.
"""

import argparse
import json
import os
import platform as platform_module
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

# Make the project's packages importable when the file runs as a script.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import redis  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from benchmarks.load_users import LoadStats, RequestBudget, SimulatedUser  # noqa: E402
from demo.course import INSTRUCTOR, LEARNER, Course, ResourceLink, User  # noqa: E402
from demo.keys import generate_private_key_pem  # noqa: E402
from demo.platform import DemoPlatform  # noqa: E402
from tests.support.jwks_server import KeySetServer  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

CLIENT_ID = "rooms-load"
DEPLOYMENT_ID = "1"
BARRIER_VARIABLE = "ROOMS_TEST_CLONE_BARRIER_DIR"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


# Processes


@dataclass
class Process:
    """A server process of the run and the file its output goes to."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=STOP_TIMEOUT)


def tool_environment(settings: dict[str, str]) -> dict[str, str]:
    """Return this process's environment without ``ROOMS_*`` variables, plus ``settings``."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("ROOMS_")}
    environment.update(settings)
    return environment


def run_command(args: list[str], settings: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=PROJECT_ROOT, env=tool_environment(settings), capture_output=True, text=True, timeout=120,
    )
    if completed.returncode != 0:
        sys.exit(f"`flask --app app {' '.join(args)}` failed with status {completed.returncode}:\n{completed.stderr}")
    return completed.stdout


def start_process(name: str, command: list[str], settings: dict[str, str], log_dir: Path) -> Process:
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log_file:
        popen = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=tool_environment(settings),
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        )
    return Process(name, popen, log_path)


def start_queue_worker(number: int, settings: dict[str, str], log_dir: Path) -> Process:
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "2"]
    return start_process(f"queue-worker-{number}", command, settings, log_dir)


def wait_until_healthy(url: str, process: Process) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            sys.exit(f"{process.name} exited with status {process.popen.returncode}; see {process.log_path}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit(f"{process.name} did not respond at {url}/healthz within {STARTUP_TIMEOUT:g} s; see {process.log_path}")


# The fault


@dataclass
class KilledWorker:
    job_id: int
    pid: int
    seconds_into_run: float
    replacement: str


@dataclass
class FaultController:
    """Releases every clone job at the barrier, except that it kills the consumer holding the first one after ``kill_after``."""

    barrier_dir: Path
    workers: list[Process]
    settings: dict[str, str]
    log_dir: Path
    kill_after: float
    started: float
    stop_event: threading.Event
    killed: KilledWorker | None = None
    released: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def _kill_holder(self, job_id: int, held_path: Path) -> None:
        pid = int(held_path.read_text().strip() or 0)
        holder = next((worker for worker in self.workers if worker.popen.pid == pid), None)
        if holder is None:
            self.errors.append(f"job {job_id} was held by pid {pid}, which is no consumer of this run")
            return
        os.kill(pid, signal.SIGKILL)
        holder.popen.wait(timeout=STOP_TIMEOUT)
        replacement = start_queue_worker(len(self.workers) + 1, self.settings, self.log_dir)
        self.workers.append(replacement)
        self.killed = KilledWorker(job_id, pid, time.monotonic() - self.started, replacement.name)
        print(f"Killed {holder.name} (pid {pid}) holding clone job {job_id}; started {replacement.name}", flush=True)

    def run(self) -> None:
        while not self.stop_event.is_set():
            for held_path in self.barrier_dir.glob("job-*.held"):
                job_id = int(held_path.name.split("-")[1].split(".")[0])
                if job_id in self.released:
                    continue
                if self.killed is None and time.monotonic() - self.started >= self.kill_after:
                    self._kill_holder(job_id, held_path)
                (self.barrier_dir / f"job-{job_id}.release").touch()
                self.released.add(job_id)
            self.stop_event.wait(0.02)


# Accounting


def job_summary(database_url: str, stats: LoadStats, killed: KilledWorker | None) -> dict:
    """Read the jobs, rooms and notifications the run left, and compare them with what the client requested."""
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        statuses = dict(connection.execute(text("SELECT status, count(*) FROM clone_job GROUP BY status")).all())
        clone_rooms = connection.execute(text("SELECT count(*) FROM room WHERE parent_id IS NOT NULL")).scalar_one()
        # A target room holding more or fewer assets than its source was copied twice, or partly.
        miscopied = connection.execute(text(
            "SELECT count(*) FROM clone_job j WHERE j.status = 'succeeded' AND "
            "(SELECT count(*) FROM asset WHERE room_id = j.target_room_id) <> "
            "(SELECT count(*) FROM asset WHERE room_id = j.source_room_id)"
        )).scalar_one()
        extra_notifications = connection.execute(text(
            "SELECT count(*) FROM (SELECT room_id FROM notification GROUP BY room_id HAVING count(*) > 1) AS repeated"
        )).scalar_one()
        requested_ids = sorted(set(stats.clone_jobs.values()))
        found = dict(connection.execute(
            text("SELECT id, status FROM clone_job WHERE id = ANY(:ids)"), {"ids": requested_ids}
        ).all())
        victim = None
        if killed is not None:
            row = connection.execute(
                text(
                    "SELECT status, attempt, target_room_id, source_room_id, "
                    "(SELECT count(*) FROM notification WHERE room_id = j.target_room_id) AS notifications, "
                    "(SELECT count(*) FROM asset WHERE room_id = j.target_room_id) AS assets, "
                    "(SELECT count(*) FROM asset WHERE room_id = j.source_room_id) AS source_assets "
                    "FROM clone_job j WHERE id = :id"
                ),
                {"id": killed.job_id},
            ).one()
            victim = {
                "job_id": killed.job_id,
                "killed_pid": killed.pid,
                "killed_at_seconds": round(killed.seconds_into_run, 1),
                "replacement": killed.replacement,
                "final_status": row.status,
                "attempts": row.attempt,
                "notifications": row.notifications,
                "assets_copied": row.assets,
                "source_assets": row.source_assets,
            }
    engine.dispose()

    lost = [job_id for job_id in requested_ids if found.get(job_id) != "succeeded"]
    return {
        "clones_requested": len(stats.clone_jobs),
        "clones_finished": sum(1 for job_id in requested_ids if found.get(job_id) == "succeeded"),
        "jobs_by_status": statuses,
        "jobs_lost": len(lost),
        "lost_job_ids": lost[:20],
        # Rooms beyond one per clone request, and repeated requests redirected to another job.
        "duplicate_rooms": max(0, clone_rooms - len(stats.clone_jobs)) + stats.double_submit_mismatches,
        "rooms_copied_wrongly": miscopied,
        "rooms_notified_twice": extra_notifications,
        "killed_worker_job": victim,
    }


def unfinished_jobs(database_url: str) -> int:
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM clone_job WHERE status IN ('queued', 'running')")).scalar_one()
    engine.dispose()
    return count


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# Set-up


def demo_course(instructors: int, learners: int) -> Course:
    """Build a course with the given numbers of instructors and learners, and the rooms link every launch uses."""
    users = []
    for number in range(1, instructors + learners + 1):
        is_instructor = number <= instructors
        users.append(User(
            key=f"{'instructor' if is_instructor else 'learner'}-{number}",
            sub=f"load-user-{number:04d}",
            login_hint=f"hint-{number:04d}",
            given_name="Instructor" if is_instructor else "Learner",
            family_name=str(number),
            email=f"user{number}@example.edu",
            locale="en-GB",
            roles=(INSTRUCTOR,) if is_instructor else (LEARNER,),
        ))
    return Course(
        context_id="course-load", title="Load run course", label="LOAD1", users=users,
        links=[ResourceLink(id="link-rooms", title="Course rooms")],
    )


def create_database(admin_url: str) -> str:
    admin = make_url(admin_url)
    name = f"rooms_load_{datetime.now(UTC):%Y%m%d%H%M%S}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, database_url: str) -> None:
    engine = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)'))
    engine.dispose()


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL of a role that may create databases; the run creates its own database there.")
    parser.add_argument("--redis-url", required=True, help="Redis database URL for the cache and queue; the run flushes it.")
    parser.add_argument("--duration", type=float, default=600.0, help="Seconds of load (default 600).")
    parser.add_argument("--min-clones", type=int, default=200, help="Clones to request at least; the load goes on past --duration until then, for at most --max-extra seconds (default 200).")
    parser.add_argument("--max-extra", type=float, default=300.0, help="Seconds the load may go on past --duration to reach --min-clones (default 300).")
    parser.add_argument("--instructors", type=int, default=6, help="Simulated instructors, each cloning their own room (default 6).")
    parser.add_argument("--learners", type=int, default=2, help="Simulated learners, who launch and open the course page (default 2).")
    parser.add_argument("--think", type=float, default=1.5, help="Mean seconds a user waits between two steps (default 1.5).")
    parser.add_argument("--kill-after", type=float, default=60.0, help="Seconds into the run after which the next held clone job's consumer is killed (default 60).")
    parser.add_argument("--stale-after", type=int, default=20, help="ROOMS_CLONE_STALE_AFTER for the run: seconds after which a running job's heartbeat is stale (default 20).")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="Seconds to wait after the load for every job to end (default 300).")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="Client timeout of one request, in seconds (default 30).")
    parser.add_argument("--max-requests", type=int, default=200_000, help="Requests the whole run may send at most (default 200000).")
    parser.add_argument("--keep", action="store_true", help="Keep the run's database and instance folder.")
    return parser.parse_args()


# The run


def main() -> int:
    arguments = parse_arguments()
    if make_url(arguments.database_url).get_backend_name() != "postgresql":
        sys.exit("--database-url must be a postgresql+psycopg:// URL.")
    for url in (arguments.database_url, arguments.redis_url):
        host = urlsplit(url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            sys.exit(f"The run sends traffic to loopback addresses only; {host!r} is not one.")

    instance = Path(tempfile.mkdtemp(prefix="rooms-load-"))
    log_dir = instance / "logs"
    barrier_dir = instance / "barrier"
    log_dir.mkdir()
    barrier_dir.mkdir()
    database_url = create_database(arguments.database_url)
    redis.Redis.from_url(arguments.redis_url).flushdb()

    port = free_port()
    tool_url = f"http://127.0.0.1:{port}"
    settings = {
        "ROOMS_INSTANCE_PATH": str(instance),
        "ROOMS_DATABASE_URL": database_url,
        "ROOMS_REDIS_URL": arguments.redis_url,
        "ROOMS_BASE_URL": tool_url,
        "ROOMS_BIND": f"127.0.0.1:{port}",
        "ROOMS_WEB_WORKERS": "2",
        "ROOMS_LOG_FORMAT": "json",
        # requests sends Secure cookies only over https, and the login's state cookie must come back.
        "ROOMS_SECURE_COOKIES": "false",
        "ROOMS_CLONE_STALE_AFTER": str(arguments.stale_after),
    }
    worker_settings = {**settings, BARRIER_VARIABLE: str(barrier_dir)}

    # The platform's key set is served over HTTP, as an LMS serves it; the issuer is that server's address.
    key_server = KeySetServer()
    platform = DemoPlatform(
        issuer=key_server.url.removesuffix("/jwks"),
        private_key_pem=generate_private_key_pem(),
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        tool_login_url=f"{tool_url}/lti/login",
        tool_redirect_uris=[f"{tool_url}/lti/launch"],
        tool_launch_url=f"{tool_url}/lti/launch",
        tool_jwks=f"{tool_url}/lti/jwks",
        course=demo_course(arguments.instructors, arguments.learners),
    )
    key_server.keys = platform.jwks()["keys"]

    run_command(["db", "upgrade"], settings)
    run_command(["keys", "create"], settings)
    run_command(
        ["platform", "add", "--issuer", platform.issuer, "--client-id", CLIENT_ID, "--auth-url", platform.auth_url,
         "--jwks-url", key_server.url, "--deployment", DEPLOYMENT_ID],
        settings,
    )

    web = start_process("gunicorn", [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:create_app()"], settings, log_dir)
    workers = [start_queue_worker(number, worker_settings, log_dir) for number in (1, 2)]
    stats = LoadStats()
    stop_event = threading.Event()
    controller_stop = threading.Event()
    try:
        wait_until_healthy(tool_url, web)
        started = time.monotonic()
        controller = FaultController(barrier_dir, workers, worker_settings, log_dir, arguments.kill_after, started, controller_stop)
        controller_thread = threading.Thread(target=controller.run, name="fault-controller", daemon=True)
        controller_thread.start()

        budget = RequestBudget(arguments.max_requests)
        hard_deadline = started + arguments.duration + arguments.max_extra
        users = [
            SimulatedUser(
                user_key=user.key, instructor=user.is_instructor, platform=platform, tool_url=tool_url, stats=stats,
                budget=budget, deadline=hard_deadline, stop=stop_event, think_seconds=arguments.think,
                request_timeout=arguments.request_timeout, status_poll_limit=120.0,
            )
            for user in platform.course.users
        ]
        threads = [threading.Thread(target=user.run, name=user.user_key, daemon=True) for user in users]
        for thread in threads:
            thread.start()
        while time.monotonic() < hard_deadline:
            elapsed = time.monotonic() - started
            if elapsed >= arguments.duration and len(stats.clone_jobs) >= arguments.min_clones:
                break
            time.sleep(1)
        stop_event.set()
        for thread in threads:
            thread.join(timeout=arguments.request_timeout + 5)
        load_seconds = time.monotonic() - started

        drain_deadline = time.monotonic() + arguments.drain_timeout
        while unfinished_jobs(database_url) and time.monotonic() < drain_deadline:
            time.sleep(2)
        drain_seconds = time.monotonic() - started - load_seconds
        controller_stop.set()
        controller_thread.join(timeout=5)
        summary = job_summary(database_url, stats, controller.killed)
    finally:
        stop_event.set()
        controller_stop.set()
        for process in [web, *workers]:
            process.stop()
        key_server.stop()

    all_latencies = [value for values in stats.latencies.values() for value in values]
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "python": platform_module.python_version(),
        "load_seconds": round(load_seconds, 1),
        "drain_seconds": round(drain_seconds, 1),
        "users": {"instructors": arguments.instructors, "learners": arguments.learners},
        "requests": stats.request_count,
        "errors": stats.error_count,
        "errors_by_kind": dict(stats.errors),
        "error_examples": stats.error_examples,
        "p50_ms": round(percentile(all_latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(all_latencies, 0.95) * 1000, 1),
        "controller_errors": controller.errors,
        **summary,
    }

    print(f"\nLoad: {result['load_seconds']} s, drain: {result['drain_seconds']} s, logs in {log_dir}\n")
    print("| requests | errors | p50 | p95 | clones requested | clones finished | jobs lost | duplicate rooms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {result['requests']} | {result['errors']} | {result['p50_ms']} ms | {result['p95_ms']} ms "
        f"| {result['clones_requested']} | {result['clones_finished']} | {result['jobs_lost']} | {result['duplicate_rooms']} |"
    )
    print("\n| request | count | errors | p50 | p95 |")
    print("| --- | --- | --- | --- | --- |")
    for kind in sorted(stats.latencies):
        values = stats.latencies[kind]
        print(
            f"| {kind} | {len(values)} | {stats.errors.get(kind, 0)} "
            f"| {percentile(values, 0.5) * 1000:.1f} ms | {percentile(values, 0.95) * 1000:.1f} ms |"
        )
    victim = result["killed_worker_job"]
    if victim:
        print(
            f"\nKilled consumer: pid {victim['killed_pid']} at {victim['killed_at_seconds']} s, holding clone job "
            f"{victim['job_id']}; final state {victim['final_status']} after {victim['attempts']} attempts, "
            f"{victim['notifications']} notification(s), {victim['assets_copied']} of {victim['source_assets']} assets copied."
        )
    else:
        print("\nNo consumer was killed: no clone job reached the barrier after --kill-after.")
    if stats.error_examples:
        print("\nFirst errors:\n" + "\n".join(f"- {example}" for example in stats.error_examples))
    print(json.dumps(result))

    if not arguments.keep:
        drop_database(arguments.database_url, database_url)
        subprocess.run(["rm", "-rf", str(instance)], check=False)

    victim_ok = bool(victim) and victim["final_status"] == "succeeded" and victim["notifications"] == 1
    healthy = (
        result["errors"] == 0 and result["jobs_lost"] == 0 and result["duplicate_rooms"] == 0
        and result["rooms_copied_wrongly"] == 0 and result["rooms_notified_twice"] == 0 and victim_ok
    )
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
