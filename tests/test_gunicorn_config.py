"""gunicorn started with the project's gunicorn.conf.py, as production starts it."""

import json
import subprocess
import sys
import time

import pytest
import requests

from tests.support.servers import PROJECT_ROOT, STOP_TIMEOUT, free_port, tool_environment


@pytest.mark.slow
def test_gunicorn_serves_with_json_logs(tool_database, tmp_path):
    port = free_port()
    settings = {
        **tool_database(tmp_path / "instance"),
        "ROOMS_BIND": f"127.0.0.1:{port}",
        "ROOMS_WEB_WORKERS": "2",
        "ROOMS_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:create_app()"],
            cwd=PROJECT_ROOT,
            env=tool_environment(settings),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        response = None
        while time.monotonic() < deadline and response is None:
            assert process.poll() is None, log_path.read_text()
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz?probe=query-value", timeout=2)
            except requests.ConnectionError:
                time.sleep(0.2)
        assert response is not None, log_path.read_text()
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    finally:
        process.terminate()
        process.wait(timeout=STOP_TIMEOUT)

    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    messages = [entry["message"] for entry in entries]
    access = [entry for entry in entries if entry["logger"] == "gunicorn.access"]
    assert len(access) == 1
    assert '"GET /healthz HTTP/1.1" 200' in access[0]["message"]
    assert "query-value" not in log_path.read_text()
    assert sum("Booting worker" in message for message in messages) == 2
