"""A search's results are ready for the first frame after they arrive: the table's new
rows measured, the screen told what changed and its layout asked for while the results are
set, not when the table is next idle. Textual measures a table's new rows, and passes a widget's changes on
to its screen, only then; a frame due as the results arrived was drawn without them (the
scroll bar only), and the rows came a frame's tick or more later (8-25 ms of a keystroke
at a million patients, measured in a pseudo-terminal: README, issue 23)."""
from __future__ import annotations

from helpers import login, settle
from textual.widgets import DataTable, Input

from tui.widgets.patient_picker import PatientSearch

FIRST_NAMES = ["Anne", "Bent", "Birgit", "Carl", "Dorte", "Erik", "Frida", "Gitte", "Hans", "Ida",
               "Jens", "Karen", "Lars", "Mette", "Niels", "Ole", "Pia", "Rasmus", "Sofie", "Tove"]


async def test_the_results_are_measured_and_laid_out_as_they_are_set(make_app, staff):
    from tui.domain.patients import register

    for i, first in enumerate(FIRST_NAMES * 2):
        register(staff["secretary"], cpr=f"{i % 28 + 1:02d}{i // 28 + 1:02d}70{2000 + i}",
                 first_name=first, last_name="Hansen" if i < 20 else "Hansson")
    app = make_app()
    states: list[tuple[str, int, int, bool, bool]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4")
        await settle(pilot)
        picker = app.screen.query_one(PatientSearch)
        table = picker.query_one(DataTable)
        shown = picker._show

        def show(seq, text, hits):
            shown(seq, text, hits)
            # what the next frame will draw, as it is the moment the results are set
            status = picker.query_one(".search-status")
            states.append((text, table.virtual_size.height, table.row_count + table.header_height,
                           app.screen._layout_required,
                           not (table._repaint_required or status._repaint_required)))

        picker._show = show
        field = app.screen.query_one("#patient-query", Input)
        for query in ("hans", "hansson", "hansen b", "hansen", "hansson i"):
            field.value = query  # one search, as a paste
            await settle(pilot)
    assert [s[0] for s in states] == ["hans", "hansson", "hansen b", "hansen", "hansson i"]
    for text, height, rows, layout, told in states:
        assert height == rows, text  # measured
        assert layout, text  # the next frame lays the screen out
        assert told, text  # and knows the rows and the count changed
