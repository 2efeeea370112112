"""Settings read from the environment."""

import pytest

from app.config import ConfigError, load_settings


def test_media_settings_defaults(tmp_path, monkeypatch):
    for name in ("ROOMS_MAX_ASSET_BYTES", "ROOMS_MAX_UPLOAD_BYTES", "ROOMS_MEDIA_DIR", "ROOMS_MEDIA_URL_MAX_AGE"):
        monkeypatch.delenv(name, raising=False)

    settings = load_settings(str(tmp_path))

    assert settings["ROOMS_MEDIA_DIR"] == str(tmp_path / "media")
    assert settings["ROOMS_MAX_ASSET_BYTES"] < settings["MAX_CONTENT_LENGTH"]
    assert settings["ROOMS_MEDIA_URL_MAX_AGE"] == 3 * 3600


def test_asset_limit_must_fit_in_request_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("ROOMS_MAX_UPLOAD_BYTES", "1000")
    monkeypatch.setenv("ROOMS_MAX_ASSET_BYTES", "1000")

    with pytest.raises(ConfigError, match="ROOMS_MAX_ASSET_BYTES"):
        load_settings(str(tmp_path))


def test_app_outside_checkout_says_so(tmp_path, monkeypatch):
    # An installed wheel contains the package without the templates and migrations beside it.
    import app as app_package

    monkeypatch.setattr(app_package, "PROJECT_ROOT", tmp_path)
    with pytest.raises(RuntimeError, match="Run the tool from a checkout of its repository"):
        app_package.create_app()
