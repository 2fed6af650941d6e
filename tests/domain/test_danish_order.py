"""Danish words and order (issue 19): Æ, Ø, Å after Z in every sorted list of names,
one time format, the call log's noted actions in Danish."""
from __future__ import annotations

import datetime as dt

from tui.domain import names, patients
from tui.domain.calls import CallRow


def test_danish_collation_puts_aeoeaa_after_z():
    given = ["Åse", "Astrid", "Ørn", "Zenia", "Æble", "Aagaard", "Bo", "Émile"]
    assert sorted(given, key=names.collate) == ["Astrid", "Bo", "Émile", "Zenia", "Æble", "Ørn",
                                                "Aagaard", "Åse"]


def test_search_lists_astrid_before_aase(staff):
    anne = staff["secretary"]
    patients.register(anne, cpr="0101801234", first_name="Åse", last_name="Hansen", phones=[])
    patients.register(anne, cpr="0202802345", first_name="Astrid", last_name="Hansen", phones=[])
    hits = patients.search(anne, "hansen")
    assert [h.first_name for h in hits] == ["Astrid", "Åse"]


def test_actions_noted_on_a_call_read_in_danish():
    row = CallRow(id=1, started=dt.datetime(2026, 11, 26, 8, 31), number="", number_display="",
                  display_name="", source="yealink", status="answered",
                  outcome="[book] 08:31 AT 27.11 09.00\n[renewal] 08.33 AT")
    assert row.outcome_label == "Tidsbestilling: 08.31 AT 27.11 09.00\nReceptfornyelse: 08.33 AT"
