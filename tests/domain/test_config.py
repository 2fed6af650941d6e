"""Settings of the installation: TOML files, environment, --db/--lang, the clinic's language."""
from __future__ import annotations

import pytest

from tui.config import ConfigError, load_config


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("SKRANKE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setattr("tui.config.SYSTEM_CONFIG", tmp_path / "no-system.toml")
    monkeypatch.setattr("tui.config.user_config_path", lambda: tmp_path / "no-user.toml")
    monkeypatch.setattr("tui.config.user_data_dir", lambda: tmp_path)  # a demo clinic there would win
    cfg = load_config()
    assert cfg.language == "da" and not cfg.language_explicit
    assert cfg.idle_lock_minutes == 5
    assert cfg.database_url.startswith("sqlite:///") and cfg.database_url.endswith("skranke.db")


def test_file_then_environment_then_flags(monkeypatch, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('database = { url = "sqlite:////srv/a.db" }\nlanguage = "en"\n'
                    'idle_lock_minutes = 2\n[keys]\n"app.lock" = "ctrl+l,f11"\n'
                    '[phone]\nport = 9000\ntoken = "hemmelig"\n')
    monkeypatch.setenv("SKRANKE_CONFIG", str(path))
    cfg = load_config()
    assert (cfg.db_url, cfg.language, cfg.idle_lock_minutes) == ("sqlite:////srv/a.db", "en", 2)
    assert cfg.language_explicit and cfg.keys["app.lock"] == "ctrl+l,f11"
    assert (cfg.phone.port, cfg.phone.token) == (9000, "hemmelig")
    assert cfg.export_path.name == "Skranke"
    monkeypatch.setenv("SKRANKE_EXPORT_DIR", "/srv/eksport")
    assert str(load_config().export_path) == "/srv/eksport"
    monkeypatch.setenv("SKRANKE_DB", "sqlite:////srv/b.db")
    assert load_config().db_url == "sqlite:////srv/b.db"
    assert load_config(db_url="sqlite:////srv/c.db", language="da").db_url == "sqlite:////srv/c.db"


@pytest.mark.parametrize("text", ["[database\n", "idle_lock_minutes = 'soon'\n", "keys = 3\n",
                                  "[phone]\nport = 'x'\n"])
def test_bad_files_are_one_clear_error(monkeypatch, tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    monkeypatch.setenv("SKRANKE_CONFIG", str(path))
    with pytest.raises(ConfigError, match="config.toml"):
        load_config()


def test_the_clinic_language_applies_unless_chosen_elsewhere(staff):
    from tui.launch import apply_clinic_language
    from tui.config import Config
    from tui.domain import settings

    settings.put("language", "en", by=staff["admin"])
    cfg = Config()
    apply_clinic_language(cfg)
    assert cfg.language == "en"
    chosen = Config(language="da", language_explicit=True)
    apply_clinic_language(chosen)
    assert chosen.language == "da"
