"""Forms behave (issue 15): Enter advances from every field, choice fields included; Esc on a
form with typing asks first (Enter, the safe answer, keeps the typing)."""
from __future__ import annotations

from helpers import login, post_keys, screen_text, until as _until


async def until(pilot, check, timeout: float = 30.0) -> None:
    """A loaded CI machine (five suites on two cores) can take its time."""
    await _until(pilot, check, timeout=timeout)

from tui.models import Patient, Staff


async def test_f9_add_person_in_one_burst_with_the_role_chosen_by_letter(make_app, staff):
    from tui.screens.dialogs import MessageScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, "adam")
        await pilot.press("f9")
        await pilot.pause()
        # user name, full name, initials, role (l: læge), authorisation id, title
        post_keys(app, "3", "a", "mette", "enter", "Mette Mortensen", "enter", "enter",
                  "l", "enter", "ABC12", "enter", "Overlæge", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, MessageScreen))
    mette = Staff.get(Staff.username == "mette")
    assert (mette.full_name, mette.role, mette.authorisation_id, mette.title) == (
        "Mette Mortensen", "doctor", "ABC12", "Overlæge")


async def test_patient_form_enter_advances_and_esc_asks_before_throwing_typing_away(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4", "ctrl+n")
        await pilot.pause()
        post_keys(app, "0707614285", "enter", "Jens", "enter", "Hansen", "enter", "Nørregade 1",
                  "escape")
        await until(pilot, lambda: "Kassér det, du har skrevet om Jens Hansen?" in screen_text(app))
        await pilot.press("enter")  # the safe answer: keep typing
        await pilot.pause()
        assert app.screen.query_one("#address").value == "Nørregade 1"
        await pilot.press("ctrl+s")
        await pilot.pause()
    p = Patient.get(Patient.cpr == "0707614285")
    assert (p.first_name, p.last_name, p.address) == ("Jens", "Hansen", "Nørregade 1")


async def test_patient_form_esc_then_j_discards(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        await pilot.press("f4", "ctrl+n", *"0707614285", "escape", "j")
        await pilot.pause()
        assert app.screen.TITLE == "Patients"
    assert not Patient.select().count()


async def test_task_dialog_in_one_burst_enter_through_choices(make_app, staff):
    import datetime as dt

    from tui.models import Task

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        post_keys(app, "ctrl+t", "Ring til Jens", "enter", "s", "enter", "fre", "enter", "h",
                  "enter", "Husk prøven", "ctrl+s")
        await until(pilot, lambda: Task.select().count() == 1)
    task = Task.get()
    assert (task.title, task.to_staff_id, task.due, task.priority, task.text) == (
        "Ring til Jens", staff["nurse"].id, dt.date(2026, 11, 27), "high", "Husk prøven")
