"""gunicorn settings for production: ``gunicorn --config gunicorn.conf.py "app:create_app()"``.

Every value comes from a ``ROOMS_*`` environment variable with a default, and gunicorn's
own ``GUNICORN_CMD_ARGS`` can still override any of them. Logs go to stderr in the
format of ``ROOMS_LOG_FORMAT`` (``text`` or ``json``), like the app's own.
"""

import os

from app.config import ConfigError


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}.") from None


# Address to listen on: host:port, or unix:/path/to/socket behind a proxy on the same machine.
bind = os.environ.get("ROOMS_BIND", "").strip() or "127.0.0.1:8000"

# Threads let a worker serve other requests while one waits on a platform's key set or
# on a slow client. gunicorn 27's help for --workers suggests 2 to 4 per core.
worker_class = "gthread"
workers = _env_int("ROOMS_WEB_WORKERS", 2)
threads = _env_int("ROOMS_WEB_THREADS", 4)

# Seconds a worker may stay silent before the arbiter kills and replaces it. With
# threads, a worker keeps reporting while a request reads a large upload.
timeout = _env_int("ROOMS_WEB_TIMEOUT", 60)
# Seconds a worker gets to finish its requests after a restart or stop.
graceful_timeout = _env_int("ROOMS_WEB_GRACEFUL_TIMEOUT", 30)
keepalive = 5
if os.path.isdir("/dev/shm"):
    # The workers' heartbeat files, in memory rather than on a disk that may stall.
    worker_tmp_dir = "/dev/shm"

# Each worker builds its own app after the fork, so no database connection, Redis
# connection or queue storage is shared between processes.
preload_app = False

# gunicorn trusts no X-Forwarded-* header itself: the app's ProxyFix does, for the
# number of proxies that ROOMS_PROXY_COUNT sets.
forwarded_allow_ips = ""

# Access log: client address, method, path without the query string, protocol, status,
# response bytes and duration in milliseconds. No query string, referrer or cookie.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

_log_format = os.environ.get("ROOMS_LOG_FORMAT", "").strip() or "text"
_log_level = (os.environ.get("ROOMS_LOG_LEVEL", "").strip() or "INFO").upper()
loglevel = _log_level.lower()

# gunicorn's own loggers get the app's formatter and secret mask. The root logger gets
# no handler here: the app adds its own in each worker, and a second one would print
# every line twice. The access log is on because logconfig_dict is set.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "app.logging_setup.JsonLinesFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {"mask_secrets": {"()": "app.logging_setup.SecretMaskingFilter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json" if _log_format == "json" else "text",
            "filters": ["mask_secrets"],
        },
    },
    "root": {"level": _log_level, "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": _log_level, "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}
