"""Benchmark of LTI login and launch: in-process cost, statements, key set fetches, and HTTP throughput.

In process, through Flask's test client, each launch is the login initiation
(``GET /lti/login``) and the launch (``POST /lti/launch``, which renders the
course page). The platform's id_token is signed between the two requests,
outside the timed part, because its nonce comes from the login. The script
counts the SQL statements of both requests and the fetches of the platform's
key set, which a local HTTP server on 127.0.0.1 publishes with one stable key id.

Over HTTP, gunicorn serves the tool with 2 worker processes, and client
threads in this process log in and launch with ``requests`` sessions until
a launch count or a time limit is reached. The client runs on the same
machine, so the script also reports the CPU time of the client and of the
gunicorn workers.

Run it with ``python benchmarks/launch.py``.
"""

import argparse
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# Make the project's packages importable when the file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from benchmarks.support.instance import instance_settings, migrated_app, process_environment, temporary_instance  # noqa: E402
from benchmarks.support.lti import auth_parameters, login_parameters, register_platform, signed_token  # noqa: E402
from benchmarks.support.report import Target, finish, machine_facts, milliseconds, print_machine, print_table  # noqa: E402
from benchmarks.support.statements import StatementCounter  # noqa: E402
from tests.support.jwks_server import KeySetServer  # noqa: E402
from tests.support.servers import free_port  # noqa: E402
from tests.support.tokens import TestPlatform  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_STATEMENTS_PER_LAUNCH = 15
MAX_JWKS_FETCHES_PER_1000 = 1
GUNICORN_WORKERS = 2
STARTUP_SECONDS = 30


@dataclass
class LaunchSample:
    login_seconds: float
    launch_seconds: float
    login_statements: int
    launch_statements: int
    first_launch_of_user: bool
    statement_texts: list[str]

    @property
    def seconds(self) -> float:
        return self.login_seconds + self.launch_seconds

    @property
    def statements(self) -> int:
        return self.login_statements + self.launch_statements


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# In process


def launch_in_process(app, counter: StatementCounter, platform: TestPlatform, sub: str, first: bool) -> LaunchSample:
    """Log in and launch once through the test client; time and count each request, not the signing."""
    base_url = "http://localhost"
    browser = app.test_client()

    with counter.counting() as login_statements:
        started = time.perf_counter()
        response = browser.get("/lti/login", query_string=login_parameters(platform, base_url, sub))
        login_seconds = time.perf_counter() - started
    if response.status_code != 302:
        sys.exit(f"The login of {sub} responded with status {response.status_code}: {response.get_data(as_text=True)[:500]}")
    auth = auth_parameters(response.location)
    token = signed_token(platform, base_url, auth["nonce"], sub)

    with counter.counting() as launch_statements:
        started = time.perf_counter()
        response = browser.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
        launch_seconds = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"The launch of {sub} responded with status {response.status_code}: {response.get_data(as_text=True)[:500]}")
    return LaunchSample(
        login_seconds,
        launch_seconds,
        len(login_statements),
        len(launch_statements),
        first,
        [" ".join(statement.split()) for statement in login_statements + launch_statements],
    )


def benchmark_in_process(launches: int, users: int, max_seconds: float, keep: bool) -> dict:
    key_server = KeySetServer()
    platform = TestPlatform()
    key_server.keys = [platform.key.public_jwk]
    samples: list[LaunchSample] = []
    try:
        with temporary_instance("launch", keep=keep) as instance:
            app = migrated_app(instance)
            register_platform(app, platform, key_server.url)
            from app.extensions import db

            with app.app_context():
                counter = StatementCounter(db.engine)
            deadline = time.monotonic() + max_seconds
            for index in range(launches):
                if time.monotonic() > deadline:
                    break
                samples.append(launch_in_process(app, counter, platform, f"user-{index % users}", first=index < users))
            counter.close()
            with app.app_context():
                db.engine.dispose()
    finally:
        key_server.stop()

    first = [sample for sample in samples if sample.first_launch_of_user]
    returning = [sample for sample in samples if not sample.first_launch_of_user]
    return {
        "launches": len(samples),
        "users": users,
        "launch_ms_median": milliseconds(statistics.median(sample.seconds for sample in samples)),
        "launch_ms_p95": milliseconds(percentile([sample.seconds for sample in samples], 0.95)),
        "launch_ms_max": milliseconds(max(sample.seconds for sample in samples)),
        "login_ms_median": milliseconds(statistics.median(sample.login_seconds for sample in samples)),
        "launch_request_ms_median": milliseconds(statistics.median(sample.launch_seconds for sample in samples)),
        "statements_first_launch": sorted({sample.statements for sample in first}),
        "statements_returning_launch": sorted({sample.statements for sample in returning}),
        "login_statements": sorted({sample.login_statements for sample in samples}),
        "launch_request_statements_first": sorted({sample.launch_statements for sample in first}),
        "launch_request_statements_returning": sorted({sample.launch_statements for sample in returning}),
        "jwks_fetches": key_server.fetches,
        "jwks_fetches_per_1000_launches": round(key_server.fetches * 1000 / len(samples), 2),
        # The statements of the last first launch and the last returning launch, for --show-statements.
        "statement_texts_first": first[-1].statement_texts if first else [],
        "statement_texts_returning": returning[-1].statement_texts if returning else [],
    }


# Over HTTP


def run_flask_command(args: list[str], environment: dict[str, str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if completed.returncode != 0:
        sys.exit(f"`flask --app app {' '.join(args)}` failed with status {completed.returncode}:\n{completed.stderr}")


def process_cpu_seconds(pid: int) -> float:
    """Return the user plus system CPU time of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name in brackets may contain spaces, so fields are counted after it.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(value) for value in children.read().split()]


def gunicorn_config() -> Path | None:
    """Return the project's gunicorn settings file, which gunicorn would also read from its working folder."""
    path = PROJECT_ROOT / "gunicorn.conf.py"
    return path if path.is_file() else None


class Gunicorn:
    """A gunicorn master serving ``app:create_app()`` on 127.0.0.1 with its workers."""

    def __init__(self, environment: dict[str, str], port: int, log_path: Path):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        config = gunicorn_config()
        with log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn",
                    *(["--config", str(config)] if config else []),
                    "-w", str(GUNICORN_WORKERS), "-b", f"127.0.0.1:{port}",
                    "app:create_app()",
                ],
                cwd=PROJECT_ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self) -> list[int]:
        """Wait until gunicorn has every worker and responds on /healthz; return the workers' process ids."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited with status {self.process.returncode}:\n{self.log_path.read_text()}")
            workers = child_pids(self.process.pid)
            if len(workers) == GUNICORN_WORKERS:
                try:
                    if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                        return workers
                except requests.RequestException:
                    pass
            time.sleep(0.1)
        self.stop()
        sys.exit(f"gunicorn did not serve {self.url}/healthz within {STARTUP_SECONDS} s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class LoadResult:
    durations: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def http_launch(base_url: str, platform: TestPlatform, sub: str) -> float:
    """Log in and launch once as a new browser; return the seconds of both requests, signing excluded."""
    browser = requests.Session()
    started = time.perf_counter()
    response = browser.get(
        f"{base_url}/lti/login", params=login_parameters(platform, base_url, sub), allow_redirects=False, timeout=30
    )
    login_seconds = time.perf_counter() - started
    if response.status_code != 302:
        raise RuntimeError(f"login responded with status {response.status_code}, expected 302")
    auth = auth_parameters(response.headers["Location"])
    token = signed_token(platform, base_url, auth["nonce"], sub)

    started = time.perf_counter()
    response = browser.post(
        f"{base_url}/lti/launch", data={"id_token": token, "state": auth["state"]}, allow_redirects=False, timeout=30
    )
    launch_seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"launch responded with status {response.status_code}, expected 200")
    return login_seconds + launch_seconds


def run_load(base_url: str, platform: TestPlatform, *, launches: int, users: int, clients: int, max_seconds: float) -> tuple[LoadResult, float]:
    """Launch from ``clients`` threads until ``launches`` are done or ``max_seconds`` pass; return the results and the wall time."""
    result = LoadResult()
    next_index = iter(range(launches))
    index_lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with index_lock:
                index = next(next_index, None)
            if index is None:
                return
            try:
                seconds = http_launch(base_url, platform, f"user-{index % users}")
            except (RuntimeError, requests.RequestException) as error:
                with result.lock:
                    result.errors.append(str(error))
                continue
            with result.lock:
                result.durations.append(seconds)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result, time.perf_counter() - started


def benchmark_http(launches: int, users: int, clients: int, max_seconds: float, keep: bool) -> dict:
    key_server = KeySetServer()
    platform = TestPlatform()
    key_server.keys = [platform.key.public_jwk]
    port = free_port()
    try:
        with temporary_instance("launch-http", keep=keep) as instance:
            settings = instance_settings(instance)
            # requests sends Secure cookies only over https, unlike browsers on 127.0.0.1.
            settings.update({"ROOMS_BASE_URL": f"http://127.0.0.1:{port}", "ROOMS_SECURE_COOKIES": "false"})
            environment = process_environment(settings)
            run_flask_command(["db", "upgrade"], environment)
            run_flask_command(
                [
                    "platform", "add",
                    "--issuer", platform.issuer,
                    "--client-id", platform.client_id,
                    "--auth-url", f"{platform.issuer}/auth",
                    "--jwks-url", key_server.url,
                    "--deployment", platform.deployment_id,
                ],
                environment,
            )
            server = Gunicorn(environment, port, instance / "gunicorn.log")
            try:
                workers = server.wait_until_ready()
                # One launch per user before the timed load, so that every timed launch is a returning one.
                warmup, _seconds = run_load(server.url, platform, launches=users, users=users, clients=clients, max_seconds=max_seconds)
                fetches_before = key_server.fetches
                server_cpu_before = sum(process_cpu_seconds(pid) for pid in workers)
                client_cpu_before = time.process_time()
                result, wall_seconds = run_load(
                    server.url, platform, launches=launches, users=users, clients=clients, max_seconds=max_seconds
                )
                client_cpu = time.process_time() - client_cpu_before
                server_cpu = sum(process_cpu_seconds(pid) for pid in workers) - server_cpu_before
                workers_after = child_pids(server.process.pid)
            finally:
                server.stop()
    finally:
        key_server.stop()

    completed = len(result.durations)
    config = gunicorn_config()
    return {
        "workers": GUNICORN_WORKERS,
        "gunicorn_config": config.name if config else "gunicorn's defaults",
        "client_threads": clients,
        "warmup_launches": len(warmup.durations),
        "warmup_errors": len(warmup.errors),
        "launches": completed,
        "errors": len(result.errors),
        "error_examples": sorted(set(result.errors))[:3],
        "wall_seconds": round(wall_seconds, 2),
        "launches_per_second": round(completed / wall_seconds, 1) if wall_seconds else 0.0,
        "launch_ms_median": milliseconds(statistics.median(result.durations)) if completed else None,
        "launch_ms_p95": milliseconds(percentile(result.durations, 0.95)) if completed else None,
        "server_cpu_ms_per_launch": milliseconds(server_cpu / completed) if completed else None,
        "client_cpu_ms_per_launch": milliseconds(client_cpu / completed) if completed else None,
        "jwks_fetches_during_load": key_server.fetches - fetches_before,
        "jwks_fetches_in_all": key_server.fetches,
        "workers_restarted": sorted(workers) != sorted(workers_after),
    }


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=1000, help="in-process launches (default 1000, at most 5000)")
    parser.add_argument("--users", type=int, default=50, help="distinct users the launches cycle through (default 50)")
    parser.add_argument("--http-launches", type=int, default=500, help="timed launches over HTTP (default 500, at most 5000)")
    parser.add_argument("--clients", type=int, default=4, help="client threads of the HTTP load (default 4, at most 16)")
    parser.add_argument("--max-seconds", type=float, default=120, help="time limit of each part, in seconds (default 120)")
    parser.add_argument("--show-statements", action="store_true", help="print the SQL of a first and a returning launch")
    parser.add_argument("--skip-http", action="store_true", help="run only the in-process part")
    parser.add_argument("--keep-instance", action="store_true", help="keep the temporary instance folders for inspection")
    arguments = parser.parse_args()
    if not 1 <= arguments.launches <= 5000 or not 1 <= arguments.http_launches <= 5000:
        parser.error("--launches and --http-launches must be between 1 and 5000")
    if not 1 <= arguments.clients <= 16:
        parser.error("--clients must be between 1 and 16")
    if not 1 <= arguments.users < arguments.launches:
        parser.error("--users must be at least 1 and below --launches, so that some launches are returning ones")
    if not 0 < arguments.max_seconds <= 600:
        parser.error("--max-seconds must be above 0 and at most 600")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    # The key set server logs each request at INFO; the output is for the results only.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    facts = machine_facts()
    facts["database"] = f"sqlite {facts['sqlite']}"
    print_machine(facts)

    in_process = benchmark_in_process(arguments.launches, arguments.users, arguments.max_seconds, arguments.keep_instance)
    print_table(
        ["in process", "launches", "ms (median)", "ms (p95)", "ms (max)", "login ms", "launch ms",
         "statements (first)", "statements (returning)", "JWKS fetches", "per 1,000"],
        [[
            "login + launch",
            in_process["launches"],
            in_process["launch_ms_median"],
            in_process["launch_ms_p95"],
            in_process["launch_ms_max"],
            in_process["login_ms_median"],
            in_process["launch_request_ms_median"],
            ", ".join(map(str, in_process["statements_first_launch"])),
            ", ".join(map(str, in_process["statements_returning_launch"])),
            in_process["jwks_fetches"],
            in_process["jwks_fetches_per_1000_launches"],
        ]],
    )
    statement_texts = {kind: in_process.pop(f"statement_texts_{kind}") for kind in ("first", "returning")}
    if arguments.show_statements:
        for kind, texts in statement_texts.items():
            print(f"Statements of a {kind} launch (login, then launch):")
            for number, text in enumerate(texts, start=1):
                print(f"  {number:2d}. {text[:160]}")
            print()
    figures = {"in_process": in_process}
    # A launch is the login initiation and the launch request together; a
    # user's first launch creates their rows, and one launch fetches the key set.
    targets = [
        Target("statements_per_returning_launch_max", max(in_process["statements_returning_launch"], default=0), MAX_STATEMENTS_PER_LAUNCH, "statements"),
        Target("statements_per_first_launch_max", max(in_process["statements_first_launch"]), MAX_STATEMENTS_PER_LAUNCH, "statements"),
        Target("jwks_fetches_per_1000_launches", in_process["jwks_fetches_per_1000_launches"], MAX_JWKS_FETCHES_PER_1000, "fetches"),
    ]

    if not arguments.skip_http:
        http = benchmark_http(arguments.http_launches, arguments.users, arguments.clients, arguments.max_seconds, arguments.keep_instance)
        print_table(
            ["over HTTP", "workers", "clients", "launches", "errors", "seconds", "launches/s", "ms (median)", "ms (p95)",
             "server CPU ms/launch", "client CPU ms/launch", "JWKS fetches"],
            [[
                "gunicorn",
                http["workers"],
                http["client_threads"],
                http["launches"],
                http["errors"],
                http["wall_seconds"],
                http["launches_per_second"],
                http["launch_ms_median"],
                http["launch_ms_p95"],
                http["server_cpu_ms_per_launch"],
                http["client_cpu_ms_per_launch"],
                http["jwks_fetches_in_all"],
            ]],
        )
        figures["http"] = http
        targets.append(Target("http_launch_errors", http["errors"] + http["warmup_errors"], 0, "errors", equal=True))
    return finish("launch", facts, figures, targets)


if __name__ == "__main__":
    sys.exit(main())
