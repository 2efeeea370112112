"""The demo LMS started with its command line, ``python -m demo``, as a server on 127.0.0.1."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DemoProcess:
    """One running demo LMS and the file its output goes to."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: Path):
        self.process = process
        self.port = port
        self.log_path = log_path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
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


def start_demo(port: int, data_dir: Path, log_dir: Path, *, tool_url: str = "http://127.0.0.1:5000") -> DemoProcess:
    """Start ``python -m demo`` on ``port`` and wait until its JWKS endpoint responds. The caller stops it."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"demo-{port}-{time.monotonic_ns()}.log"
    command = [
        sys.executable, "-m", "demo",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--tool-url", tool_url,
        "--data-dir", str(data_dir),
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT
        )
    demo = DemoProcess(process, port, log_path)

    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"The demo LMS exited with status {process.returncode}:\n{demo.output()}")
        try:
            requests.get(f"{demo.url}/jwks", timeout=1)
            return demo
        except requests.ConnectionError:
            time.sleep(0.1)
    demo.stop()
    raise AssertionError(f"The demo LMS did not respond within {STARTUP_TIMEOUT:g} s:\n{demo.output()}")
