"""settings.read_once: the keys a workflow reads, in one query, each read a fresh copy."""
from __future__ import annotations

import logging

from tui.domain import settings


def _setting_queries(caplog) -> int:
    return sum('FROM "setting"' in str(r.msg[0]) for r in caplog.records if isinstance(r.msg, tuple))


def test_the_keys_are_read_in_one_query_and_each_read_is_a_fresh_copy(staff, caplog):
    settings.put("sms", {"enabled": True, "quiet_from": "21:00"})
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        with settings.read_once("sms", "slot_minutes", "calendar"):
            first = settings.stored("sms")
            first["enabled"] = False  # the caller's own copy, as from the database
            assert settings.stored("sms") == {"enabled": True, "quiet_from": "21:00"}
            assert settings.stored("slot_minutes") is None and settings.get("slot_minutes") == 15
            assert settings.stored("calendar") is None
            with settings.read_once("sms", "language"):  # only the key not read yet
                assert settings.stored("language") is None
                settings.put("slot_minutes", 10, by=staff["admin"])
                assert settings.get("slot_minutes") == 10  # her own change is seen at once
            assert settings.get("slot_minutes") == 10  # and by the block around
    assert _setting_queries(caplog) == 2  # the three keys, then "language"
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        assert settings.get("slot_minutes") == 10 and settings.stored("sms")["enabled"] is True
    assert _setting_queries(caplog) == 2  # outside: every read from the database again
