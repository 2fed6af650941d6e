"""Screens that never lie (issue 19): every digit of a CPR number while typing; status and
type apart in the grid; as many staff columns as fit."""
from __future__ import annotations

from helpers import settle
from textual.app import App

from tui.widgets.cpr_input import CprInput


class _One(App):
    def compose(self):
        yield CprInput()


async def test_the_cpr_field_shows_every_digit_while_typing():
    app = _One()
    async with app.run_test(size=(80, 10)) as pilot:
        app.query_one(CprInput).focus()
        await pilot.pause()
        await pilot.press(*"0707614285")
        await pilot.pause()
        line = app.screen._compositor.render_strips()[1].text
        assert "070761-4285" in line


async def test_status_and_type_apart_and_every_staff_column_at_120(make_app, staff):
    import datetime as dt

    from helpers import MON_TO_FRI, login, screen_text, setup_clinic

    from tui.domain import auth, booking
    from tui.models import WorkPattern

    data = setup_clinic(staff)
    for i, name in enumerate(["Karen Kirk", "Ole Ravn", "Pia Dam"]):
        s = auth.create_user(f"d{i}", name, "doctor", "hemmelig123", initials=f"D{i}")
        WorkPattern.create(staff=s, rrule=MON_TO_FRI, start_time=dt.time(8, 0),
                           end_time=dt.time(16, 0), valid_from=dt.date(2026, 1, 1))
    appt = booking.book(staff["secretary"], data["patients"]["jens"], staff["doctor"],
                        data["types"]["K15"], dt.datetime(2026, 11, 26, 10, 0))
    booking.set_status(staff["secretary"], appt.id, "arrived")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await pilot.pause()
        await settle(pilot)
        text = screen_text(app)
        assert "A K15 Jens" in text
        for name in ("Lars Læge", "Sofie Sygeplejerske", "Karen Kirk", "Ole Ravn", "Pia Dam"):
            assert name[:12] in text, name


async def test_the_ringing_banner_never_hides_the_date_line(make_app, staff):
    from helpers import login, screen_text, setup_clinic

    from tui.domain import calls
    from tui.widgets.call_banner import CallBanner

    setup_clinic(staff)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f3")
        await settle(pilot)
        calls.record_event("incoming", source="yealink", caller="12345678", call_id="b1")
        for _ in range(40):
            if app.screen.query(CallBanner):
                break
            await pilot.pause(0.05)
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert "Ringer" in lines[0]
        assert "uge 48" in lines[1] and "torsdag" in lines[1]


async def test_the_access_log_pane_is_live_and_danish(make_app, staff):
    import datetime as dt

    from helpers import login, screen_text

    from tui.domain import journal, patients
    from tui.models import Patient
    from tui.screens.record import RecordScreen

    p = Patient.create(cpr="0707614285", first_name="Jens", last_name="Hansen",
                       birth_date=dt.date(1961, 7, 7), sex="M")
    journal.append(staff["doctor"], p, "contact", "ondt i knæet")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "lars")
        app.push_screen(RecordScreen(p.id))
        await settle(pilot)
        await pilot.press("8")  # the access log
        await settle(pilot)
        text = screen_text(app)
        assert "notat" in text and "(contact)" not in text and "entry" not in text
        assert "Sofie" not in text
        patients.open_record(staff["nurse"], p.id, "")  # a colleague opens it now
        await pilot.pause(6)
        await settle(pilot)
        assert "Sofie" in screen_text(app)


async def test_at_60_columns_ages_and_numbers_are_whole_or_end_in_an_ellipsis(make_app, staff):
    from helpers import login, screen_text

    from tui.domain import patients

    patients.register(staff["secretary"], cpr="1503144008", first_name="Benjamin Alexander",
                      last_name="Hansen-Kristoffersen", phones=[("20654321", "mobil")])
    app = make_app()
    async with app.run_test(size=(60, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4", *"hansen")
        await pilot.pause(0.3)
        await settle(pilot)
        text = screen_text(app)
        rows = [line for line in text.splitlines() if "150314" in line]
        assert rows, text
        row = rows[0]
        assert " 12 " in row and "20 65 43 21" in row and "…" in row


async def test_the_call_log_shows_a_foreign_number_whole_at_80_columns(make_app, staff):
    """The log showed "+46 70 123 45" for +46701234567: a shorter number that looks whole."""
    from helpers import login, screen_text, setup_clinic

    from tui.domain import calls

    setup_clinic(staff)
    calls.record_event("incoming", source="yealink", caller="+46701234567", call_id="s1")
    calls.record_event("incoming", source="yealink", caller="+298123456", call_id="f1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f2")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "Nummer" in line)
        column = slice(header.index("Nummer"), header.index("Opkalder"))
        numbers = {line[column].strip() for line in lines if line.startswith(" 10.00")}
        assert numbers == {"+46 70 123 45 67", "+298 12 34 56"}, lines


def test_every_table_cuts_with_an_ellipsis():
    """One rule for text that does not fit (tui/widgets/cut.py): every table of the app is a
    `Table`, whose cells end in "…" when cut; no screen builds a bare DataTable."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "tui"
    bare = [f"{path.relative_to(root)}:{n}" for path in root.rglob("*.py") if path.name != "tables.py"
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"\bDataTable\(", line)]
    assert not bare, bare


async def test_a_table_cell_too_long_for_its_column_ends_in_an_ellipsis():
    from rich.text import Text

    from tui.widgets.tables import Table

    class _App(App):
        def compose(self):
            yield Table()

    app = _App()
    async with app.run_test(size=(40, 6)) as pilot:
        table = app.query_one(Table)
        table.add_column("Navn", width=10)
        table.add_column("Nr", width=5)
        table.add_row(Text("Hansen-Kristoffersen"), "12345", key="a")
        table.add_row("Kort", Text("7"), key="b")
        table.update_cell("b", table.ordered_columns[0].key, Text("Benjamin Alexander"))
        await pilot.pause()
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        assert "Hansen-Kr…" in lines[1] and "Benjamin …" in lines[2], lines
