"""Logging configured once per process: text or JSON lines, with secrets masked."""

import json
import logging
import re
import sys
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
REQUEST_QUERY_PATTERN = re.compile(r'("(?:\x1b\[[0-9;]*m)*[A-Z]{3,7} [^ "?]*)\?[^ "]*')
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
    handler.addFilter(SecretMaskingFilter())
    if log_format == "json":
        handler.setFormatter(JsonLinesFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
