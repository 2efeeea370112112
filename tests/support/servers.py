"""Tool processes started as real servers on 127.0.0.1, for tests that need more than one process.

Each process runs ``flask --app app serve``, which applies the migrations and
creates the tool's keys before it serves. Processes that should act as one
tool share their settings through the environment (the same
``ROOMS_INSTANCE_PATH``, ``ROOMS_DATABASE_URL`` and ``ROOMS_REDIS_URL``): start
the first, which prepares the database, and only then the others.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class ToolProcessError(RuntimeError):
    """A tool process exited early or did not become healthy."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tool_environment(env: dict[str, str]) -> dict[str, str]:
    """Return this process's environment without its ``ROOMS_*`` settings, plus ``env``.

    The test session sets ``ROOMS_INSTANCE_PATH`` for its own apps; a tool
    process must see only the settings its test gives it.
    """
    clean = {name: value for name, value in os.environ.items() if not name.startswith("ROOMS_")}
    clean.update(env)
    return clean


def app_settings(app) -> dict[str, str]:
    """Return the ``ROOMS_*`` settings that give a tool process the instance folder, database and Redis of ``app``."""
    settings = {
        "ROOMS_INSTANCE_PATH": app.instance_path,
        "ROOMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    if app.config["ROOMS_REDIS_URL"]:
        settings["ROOMS_REDIS_URL"] = app.config["ROOMS_REDIS_URL"]
    return settings


def run_tool_command(args: list[str], env: dict[str, str], *, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run ``flask --app app ARGS`` with the given settings and raise if it fails."""
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=PROJECT_ROOT,
        env=tool_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise ToolProcessError(
            f"`flask --app app {' '.join(args)}` exited with status {completed.returncode}:\n{completed.stderr}"
        )
    return completed


class ToolProcess:
    """One running ``flask --app app serve`` process and the file its output goes to."""

    def __init__(self, process: subprocess.Popen, url: str, log_path: Path):
        self.process = process
        self.url = url
        self.log_path = log_path

    def log_text(self) -> str:
        """Return everything the process wrote to stdout and stderr so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Terminate the process, killing it if it does not exit within STOP_TIMEOUT seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)

    def wait_until_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ToolProcessError(
                    f"The tool process exited with status {self.process.returncode} before it served "
                    f"{self.url}/healthz. Its output:\n{self.log_text()}"
                )
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise ToolProcessError(
            f"The tool process did not answer {self.url}/healthz within {timeout:g} seconds. Its output:\n{self.log_text()}"
        )


def start_tool(
    env: dict[str, str],
    log_dir: Path,
    *,
    port: int | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    with_worker: bool = False,
) -> ToolProcess:
    """Start a tool process with the given ``ROOMS_*`` settings and wait until it is healthy.

    The process listens on ``port``, or on a free port. ``ROOMS_BASE_URL``
    defaults to the process's own URL. The output goes to a file in
    ``log_dir``, read back with ``log_text()``. The caller stops the process
    with ``stop()``. Without ``with_worker`` it starts no job consumer.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {"ROOMS_BASE_URL": url, **env}

    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"tool-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "flask", "--app", "app", "serve", "--host", "127.0.0.1", "--port", str(port),
                *([] if with_worker else ["--no-worker"]),
            ],
            cwd=PROJECT_ROOT,
            env=tool_environment(settings),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    tool = ToolProcess(process, url, log_path)
    tool.wait_until_healthy(startup_timeout)
    return tool


class WorkerProcess:
    """One running ``flask --app app worker`` job consumer."""

    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """Kill the consumer at once, as a crash or an out-of-memory kill would."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()


def start_worker(env: dict[str, str], log_dir: Path, *, name: str = "worker", periodic: bool = True) -> WorkerProcess:
    """Start ``flask --app app worker`` with the given settings; the caller stops or kills it.

    With ``periodic`` False the consumer runs no periodic task, so the sweeper runs only when a test calls it.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "1", *([] if periodic else ["--no-periodic"])],
            cwd=PROJECT_ROOT,
            env=tool_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    return WorkerProcess(process, log_path)
