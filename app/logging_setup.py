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
MASK = "[masked]"


def mask_secrets(text: str) -> str:
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
