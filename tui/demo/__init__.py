"""The demo clinic (`skranke demo`): a realistic clinic built into an empty database.

It sits above the domain: it fills the database through the domain's own functions
and models, and nothing in the domain knows it. `builder.py` puts the clinic together
from `clinic.py` (staff, types, work patterns), `people.py` (patients),
`bookings.py` (appointments) and `journal.py` (notes and audit events), then runs
each topic's seeder (letters, prescriptions, tasks, supplies, calls, reach, inbox),
listed by function in `builder.SEEDERS`.
"""
from tui.demo.builder import SEEDERS, Seeder, build
from tui.demo.clinic import CLINIC, PASSWORD, STAFF, DemoClinic, has_data, is_built, is_demo

__all__ = [
    "CLINIC", "STAFF", "PASSWORD", "SEEDERS", "Seeder", "DemoClinic", "build", "is_built",
    "has_data", "is_demo",
]
