"""A job consumer whose queue is unreachable logs the error once a minute, not on every poll."""

import logging
import time

from app.logging_setup import RepeatedErrorFilter
from tests.support.servers import free_port, start_worker


def test_repeated_error_logged_once_per_interval():
    records = []

    class ListHandler(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    handler = ListHandler()
    handler.addFilter(RepeatedErrorFilter({"Error reading from queue"}, interval_seconds=0.5))
    logger = logging.getLogger("tests.repeated-error")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for _ in range(5):
            logger.error("Error reading from queue")
        logger.error("Another error")
        time.sleep(0.6)
        logger.error("Error reading from queue")
    finally:
        logger.removeHandler(handler)

    assert records == [
        "Error reading from queue",
        "Another error",
        "Error reading from queue (and 4 more times in the last 0.5 s, not logged)",
    ]


def test_worker_without_redis_logs_error_once(tool_database, tmp_path):
    # A port on 127.0.0.1 that nothing listens on stands for a Redis server that is down.
    settings = {**tool_database(tmp_path / "instance"), "ROOMS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    worker = start_worker(settings, tmp_path / "logs", periodic=False)
    try:
        deadline = time.monotonic() + 20
        while "Error reading from queue" not in worker.log_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        # Two worker threads poll at least once a second each meanwhile.
        time.sleep(5)
    finally:
        worker.stop()

    log = worker.log_text()
    assert log.count("Error reading from queue") == 1
    assert "ConnectionError" in log or "Connection refused" in log
