"""Hot statements are compiled by peewee once and then sent with new values (tui/db.py
`prepared`): a booking spent a quarter of its time having its SQL built again. Kept SQL must
give what peewee's own query gives, put each value where the code wrote it (the compiler's
order is not the code's), refuse a value it would lose, and never serve one key's SQL to
another statement."""
from __future__ import annotations

import datetime as dt

import peewee
import pytest
from helpers import setup_clinic

from tui import db
from tui.db import is_sqlite, prepared, prepared_insert, prepared_select
from tui.domain import booking
from tui.models import Appointment, AppointmentEvent, AuditEvent, Patient


@pytest.fixture
def kept_sql(monkeypatch):
    """As the app runs: the kept SQL is used without compiling it again to compare."""
    monkeypatch.setattr(db, "CHECK_PREPARED", False)
    monkeypatch.setattr(db, "_prepared", {})


def born_after(first: str, born: dt.date):
    def build(v):
        hansens_first = Patient.last_name != v("Hansen")  # written first, sent last
        return Patient.select().where(
            (Patient.birth_date >= v(born)) & (Patient.first_name == v(first))).order_by(hansens_first, Patient.id)
    return build


def test_a_prepared_select_gives_what_the_query_gives(database, staff, kept_sql):
    clinic = setup_clinic(staff)
    jens = clinic["patients"]["jens"]
    for _ in range(2):  # compiled, then kept
        (found,) = prepared_select("test.born", born_after("Jens", dt.date(1960, 1, 1)))
        assert (found.id, found.cpr, found.birth_date) == (jens.id, jens.cpr, jens.birth_date)
        assert prepared_select("test.born", born_after("Jens", dt.date(1962, 1, 1))) == []
        assert prepared_select("test.born", born_after("Mette", dt.date(1960, 1, 1))) == []


def test_the_second_run_compiles_nothing(database, staff, kept_sql):
    setup_clinic(staff)
    prepared("test.born", born_after("Jens", dt.date(1960, 1, 1)))

    class NotCompiled(peewee.ModelSelect):
        def sql(self):
            raise AssertionError("compiled again")

    def build(v):
        query = born_after("Jens", dt.date(1960, 1, 1))(v)
        query.__class__ = NotCompiled
        return query

    cursor, _query = prepared("test.born", build)
    assert len(cursor.fetchall()) == 1


def test_a_value_not_bound_is_refused(database):
    with pytest.raises(ValueError, match="not given through v"):
        prepared("test.constant", lambda v: Patient.select().where(Patient.first_name == "Jens"))


def test_a_statement_built_with_other_values_than_it_was_compiled_with_is_refused(database, kept_sql):
    prepared("test.ids", lambda v: Patient.select().where(Patient.id.in_([v(1), v(2)])))
    with pytest.raises(ValueError, match="1 values, compiled with 2"):
        prepared("test.ids", lambda v: Patient.select().where(Patient.id.in_([v(1)])))


def test_one_key_for_two_statements_fails_where_the_tests_check(database, monkeypatch):
    monkeypatch.setattr(db, "_prepared", {})
    assert db.CHECK_PREPARED  # the tests' conftest sets it
    prepared("test.one-key", lambda v: Patient.select().where(Patient.id == v(1)))
    with pytest.raises(AssertionError, match="one key for two statements"):
        prepared("test.one-key", lambda v: Patient.select().where(Patient.cpr == v("0707614285")))


def test_a_prepared_insert_is_as_create(database, staff, kept_sql):
    clinic = setup_clinic(staff)
    jens, k15 = clinic["patients"]["jens"], clinic["types"]["K15"]
    start = dt.datetime(2026, 11, 30, 9, 0)
    for i in range(2):
        appt = Appointment(patient=jens, staff=staff["doctor"], type=k15, start=start + dt.timedelta(hours=i),
                           end=start + dt.timedelta(hours=i, minutes=15), booked_by=staff["secretary"],
                           cancel_reason="x" * 101)  # longer than its column: cut, as its field does
        prepared_insert("test.appointment", appt)
        assert appt.id is not None and not appt.is_dirty()
        stored = Appointment.get_by_id(appt.id)
        assert (stored.patient_id, stored.start, stored.status, stored.channel) == (
            jens.id, start + dt.timedelta(hours=i), "booked", "phone")  # the fields' defaults too
        assert stored.cancel_reason == "x" * Appointment.cancel_reason.max_length
    event = AppointmentEvent(appointment=appt, by=staff["secretary"], action="booked", detail="")
    prepared_insert("test.event", event)
    assert AppointmentEvent.get_by_id(event.id).appointment_id == appt.id


def test_a_refused_insert_raises_as_create_did(database, staff, kept_sql):
    clinic = setup_clinic(staff)
    jens, k15 = clinic["patients"]["jens"], clinic["types"]["K15"]
    start = dt.datetime(2026, 11, 30, 9, 0)
    booking.book(staff["secretary"], jens, staff["doctor"], k15, start)
    twice = Appointment(patient=jens, staff=staff["doctor"], type=k15, start=start,
                        end=start + dt.timedelta(minutes=15))
    with pytest.raises(peewee.IntegrityError):  # the database's own guard against double booking
        with db.database_proxy.atomic():
            prepared_insert("test.appointment", twice)


def test_a_booking_builds_no_sql_once_its_statements_are_kept(database, staff, kept_sql, monkeypatch):
    clinic = setup_clinic(staff)
    jens, k15 = clinic["patients"]["jens"], clinic["types"]["K15"]
    start = dt.datetime(2026, 11, 30, 9, 0)
    booking.book(staff["secretary"], jens, staff["doctor"], k15, start)
    compiled: list[str] = []
    real = peewee.Database.get_sql_context

    def counting(self, **options):
        compiled.append("statement")
        return real(self, **options)

    monkeypatch.setattr(peewee.Database, "get_sql_context", counting)
    appt = booking.book(staff["secretary"], jens, staff["doctor"], k15, start + dt.timedelta(minutes=15))
    # SQLite reads the audit chain's head with peewee; PostgreSQL calls its function
    assert len(compiled) == (1 if is_sqlite() else 0)
    assert Appointment.get_by_id(appt.id).start == start + dt.timedelta(minutes=15)
    assert AuditEvent.select().order_by(AuditEvent.id.desc()).first().action == "appointment_booked"


def test_rows_of_one_key_with_other_columns_get_their_own_statement(database, staff, kept_sql):
    clinic = setup_clinic(staff)
    jens, k15 = clinic["patients"]["jens"], clinic["types"]["K15"]
    start = dt.datetime(2026, 11, 30, 9, 0)
    plain = Appointment(patient=jens, staff=staff["doctor"], type=k15, start=start,
                        end=start + dt.timedelta(minutes=15))
    prepared_insert("test.appointment", plain)
    fuller = Appointment(patient=jens, staff=staff["doctor"], type=k15, start=start + dt.timedelta(hours=1),
                         end=start + dt.timedelta(hours=1, minutes=15), series="s-1", booked_by=staff["secretary"])
    prepared_insert("test.appointment", fuller)
    stored = Appointment.get_by_id(fuller.id)
    assert (stored.series, stored.booked_by_id) == ("s-1", staff["secretary"].id)
    assert Appointment.get_by_id(plain.id).series is None
