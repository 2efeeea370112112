"""Settings read from ``ROOMS_*`` environment variables.

Every setting has an embedded default that needs nothing installed: SQLite in the
instance folder, a file-system cache, and secrets generated once into the
instance folder.
"""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

ENV_PREFIX = "ROOMS_"


class ConfigError(RuntimeError):
    """A setting is missing or invalid."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} must be an integer, got {raw!r}.") from None


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a number, got {raw!r}.") from None


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{ENV_PREFIX}{name} must be true or false, got {raw!r}.")


def read_or_create_secret(path: Path, make_secret) -> str:
    """Read a secret from ``path``, creating it first if it does not exist.

    The file is created with an exclusive create, so that several processes
    starting at once (gunicorn workers, a job consumer) all end up with the
    value written by the first one.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        if not value:
            raise ConfigError(f"The secret file {path} is empty: delete it to regenerate it.") from None
        return value

    value = make_secret()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_settings(instance_path: str) -> dict:
    """Build the Flask configuration mapping from the environment."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    secret_key = _env("SECRET_KEY") or read_or_create_secret(
        instance / "secret_key", lambda: secrets.token_urlsafe(48)
    )
    key_encryption_key = _env("KEY_ENCRYPTION_KEY") or read_or_create_secret(
        instance / "key_encryption_key", lambda: Fernet.generate_key().decode()
    )
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance / 'rooms.sqlite3'}"
    redis_url = _env("REDIS_URL")
    base_url = (_env("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    # Browsers accept Secure cookies from http://localhost and http://127.0.0.1,
    # and only SameSite=None; Secure; Partitioned cookies reach a tool in a
    # cross-site iframe (checked with Chromium 156), so the local demo uses them too.
    base_host = base_url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    local_tool = base_host in {"localhost", "127.0.0.1", "[::1]"}
    secure_cookies = _env_bool("SECURE_COOKIES", base_url.startswith("https://") or local_tool)

    max_upload_bytes = _env_int("MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
    max_asset_bytes = _env_int("MAX_ASSET_BYTES", 500 * 1024 * 1024)
    # The request limit applies to the whole form: the media file, a captions file and the text fields.
    if max_asset_bytes >= max_upload_bytes:
        raise ConfigError(
            f"{ENV_PREFIX}MAX_ASSET_BYTES ({max_asset_bytes}) must be smaller than "
            f"{ENV_PREFIX}MAX_UPLOAD_BYTES ({max_upload_bytes}), which limits the whole upload request."
        )

    key_overlap_days = _env_int("KEY_OVERLAP_DAYS", 7)
    if key_overlap_days < 1:
        raise ConfigError(f"{ENV_PREFIX}KEY_OVERLAP_DAYS must be at least 1, got {key_overlap_days}.")

    settings = {
        "SECRET_KEY": secret_key,
        "ROOMS_KEY_ENCRYPTION_KEY": key_encryption_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "ROOMS_REDIS_URL": redis_url,
        "ROOMS_BASE_URL": base_url,
        # The number of proxies in front of the tool whose X-Forwarded-* headers
        # are trusted; 0 turns ProxyFix off.
        "ROOMS_PROXY_COUNT": _env_int("PROXY_COUNT", 0),
        "ROOMS_SQLITE_BUSY_TIMEOUT_MS": _env_int("SQLITE_BUSY_TIMEOUT_MS", 15000),
        "ROOMS_JWKS_TIMEOUT": _env_float("JWKS_TIMEOUT", 5.0),
        # Seconds before each request of a dynamic registration (the platform's OpenID
        # configuration, then the registration itself) times out.
        "ROOMS_REGISTRATION_TIMEOUT": _env_float("REGISTRATION_TIMEOUT", 10.0),
        # Whether dynamic registration may reach an LMS whose host has a loopback or
        # private address. On by default only for a tool on localhost, where the
        # LMS under development usually runs on the same machine.
        "ROOMS_REGISTRATION_ALLOW_PRIVATE_HOSTS": _env_bool("REGISTRATION_ALLOW_PRIVATE_HOSTS", local_tool),
        # Days a retired tool key stays published after `keys rotate`: at least the
        # lifetime of a JWT it signed plus the time platforms cache the key set.
        "ROOMS_KEY_OVERLAP_DAYS": key_overlap_days,
        "ROOMS_JWKS_MIN_FETCH_INTERVAL": _env_int("JWKS_MIN_FETCH_INTERVAL", 60),
        "ROOMS_JWKS_DEFAULT_MAX_AGE": _env_int("JWKS_DEFAULT_MAX_AGE", 3600),
        "ROOMS_CLOCK_LEEWAY": _env_int("CLOCK_LEEWAY", 60),
        "ROOMS_LOGIN_STATE_MAX_AGE": _env_int("LOGIN_STATE_MAX_AGE", 600),
        "ROOMS_LAUNCH_TOKEN_MAX_AGE": _env_int("LAUNCH_TOKEN_MAX_AGE", 1800),
        "ROOMS_SECURE_COOKIES": secure_cookies,
        # A running clone job whose heartbeat is older than this many seconds is
        # taken over; a queued one older than the queued timeout is re-enqueued.
        "ROOMS_CLONE_STALE_AFTER": _env_int("CLONE_STALE_AFTER", 300),
        "ROOMS_CLONE_QUEUED_TIMEOUT": _env_int("CLONE_QUEUED_TIMEOUT", 120),
        # Origins allowed to frame the tool besides the registered platforms' own,
        # such as "https://*.instructure.com": hosted Canvas shows the tool on
        # the institution's domain, which neither its issuer nor its auth URL names.
        "ROOMS_FRAME_ANCESTORS": (_env("FRAME_ANCESTORS") or "").split(),
        "ROOMS_LOG_LEVEL": (_env("LOG_LEVEL") or "INFO").upper(),
        "ROOMS_LOG_FORMAT": _env("LOG_FORMAT") or "text",
        # Flask-WTF: the CSRF secret lives in the launch session, which has its own
        # lifetime, so the token itself must not expire in the middle of a class.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "BABEL_DEFAULT_LOCALE": "en",
        "MAX_CONTENT_LENGTH": max_upload_bytes,
        "ROOMS_MAX_ASSET_BYTES": max_asset_bytes,
        "ROOMS_MEDIA_DIR": _env("MEDIA_DIR") or str(instance / "media"),
        # A <video> keeps requesting byte ranges from the URL it was given for as long as it
        # plays, and the page cannot renew that URL without restarting playback, so a media
        # URL must outlive one class session.
        "ROOMS_MEDIA_URL_MAX_AGE": _env_int("MEDIA_URL_MAX_AGE", 3 * 3600),
    }

    if redis_url:
        settings["CACHE_TYPE"] = "RedisCache"
        settings["CACHE_REDIS_URL"] = redis_url
        settings["CACHE_KEY_PREFIX"] = "rooms:"
    else:
        cache_dir = Path(_env("CACHE_DIR") or instance / "cache")
        cache_dir.mkdir(parents=True, exist_ok=True)
        settings["CACHE_TYPE"] = "FileSystemCache"
        settings["CACHE_DIR"] = str(cache_dir)
        settings["CACHE_THRESHOLD"] = 100000
    settings["CACHE_DEFAULT_TIMEOUT"] = 600

    return settings
