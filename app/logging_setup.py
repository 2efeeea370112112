"""Logging configured once per process: text or JSON lines, with secrets masked."""

import json
import logging
import re
import sys
import threading
import time
from datetime import UTC, datetime

# Compact JWS/JWT and itsdangerous tokens (three dot-separated base64url
# parts), and PEM blocks. Masked in every record as a second line of defence:
# the code itself never logs tokens or keys.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}")
PEM_PATTERN = re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.DOTALL)
# The query string of a request line in an access log, as Werkzeug's development server
# writes it ('"GET /lti/register?registration_token=... HTTP/1.1"'): LMSs put one-time
# tokens and hints there. gunicorn's access log of this tool leaves query strings out.
# Werkzeug may colour the line, so ANSI escapes can follow the opening quote.
# The query ends at the space before the protocol, whatever it contains, quotes included.
REQUEST_QUERY_PATTERN = re.compile(r'("(?:\x1b\[[0-9;]*m)*[A-Z]+ [^ ?]*)\?[^ ]*')
MASK = "[masked]"


def mask_secrets(text: str) -> str:
    text = REQUEST_QUERY_PATTERN.sub(rf"\1?{MASK}", text)
    return TOKEN_PATTERN.sub(MASK, PEM_PATTERN.sub(MASK, text))


class SecretMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


class RepeatedErrorFilter(logging.Filter):
    """Let the first record of each listed message through, then one per interval, with the count of the others.

    Huey's consumer logs a full traceback on every poll of a queue it cannot read, which is
    several times a second while Redis is down.
    """

    def __init__(self, messages: set[str], interval_seconds: float = 60.0):
        super().__init__()
        self.messages = messages
        self.interval_seconds = interval_seconds
        self._lock = threading.Lock()
        # (logger name, message) -> [monotonic time last let through, records dropped since]
        self._state: dict[tuple[str, str], list] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str) or record.msg not in self.messages:
            return True
        key = (record.name, record.msg)
        now = time.monotonic()
        with self._lock:
            state = self._state.get(key)
            if state is not None and now - state[0] < self.interval_seconds:
                state[1] += 1
                return False
            dropped = state[1] if state is not None else 0
            self._state[key] = [now, 0]
        if dropped:
            record.msg = f"{record.msg} (and {dropped} more times in the last {self.interval_seconds:g} s, not logged)"
        return True


# Messages of huey's consumer (huey/consumer.py, huey 3.5) that repeat on every poll while
# the queue's storage is unreachable.
REPEATING_QUEUE_ERRORS = {"Error reading from queue", "Error reading schedule.", "Error in consumer."}


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = mask_secrets(self.formatException(record.exc_info))
        return json.dumps(entry)


_configured = False


def configure_logging(level: str, log_format: str) -> None:
    global _configured
    if _configured:
        return
    _configured = True

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RepeatedErrorFilter(REPEATING_QUEUE_ERRORS))
    handler.addFilter(SecretMaskingFilter())
    if log_format == "json":
        handler.setFormatter(JsonLinesFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
