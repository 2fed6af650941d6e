"""Administration: clinic settings, closing days, staff, work patterns, appointment types.

One module per concern; this package re-exports the names other code uses as `admin.X`.
Every function that changes something takes the acting `user`, checks `auth.require`
first and writes an audit event. Values are validated here (one rule, one function); the
administration screen only collects what is typed and shows the `ValueError` messages
raised. What a work pattern is and when it gives working time is
`tui.domain.work_patterns`, shared with the schedule.

No textual or rich imports here.
"""
from __future__ import annotations

from tui.domain import auth
from tui.domain.admin.appointment_types import (
    COLOUR_NAMES,
    COLOURS,
    TYPE_ROLES,
    TypeData,
    TypeInUse,
    add_type,
    colour_name,
    delete_type,
    edit_type,
    list_types,
    retire_type,
    type_in_use,
    validate_type,
)
from tui.domain.admin.clinic import (
    CLINIC_FIELDS,
    LANGUAGES,
    MAX_LETTERHEAD,
    SLOT_CHOICES,
    General,
    clinic_language,
    ean_problem,
    format_span,
    general,
    parse_span,
    set_clinic,
    set_general,
    set_hours,
    validate_clinic,
    validate_general,
)
from tui.domain.admin.closing_days import (
    CALENDAR_HORIZON_DAYS,
    CUSTOMARY,
    RECURRENCE_KINDS,
    ClosingDay,
    add_closed_day,
    add_closed_period,
    add_half_day,
    add_holiday_week,
    add_recurring_closure,
    bookings_closed_out,
    closing_days,
    closing_preview,
    describe_booking,
    recurrence_rule,
    remove_closing,
    send_freed_to_secretaries,
    send_to_secretaries,
    set_customary,
)
from tui.domain.admin.patterns import (
    PREVIEW_WEEKS,
    OrphansFound,
    can_edit_pattern,
    editable_people,
    make_pattern,
    orphaned_appointments,
    preview_pattern,
    save_patterns,
)
from tui.domain.admin.staff import (
    add_staff,
    clinical_staff,
    deactivate_staff,
    edit_staff,
    list_staff,
    reactivate_staff,
    reset_password,
    temporary_password,
)
from tui.domain.work_patterns import (
    RRULE_DAYS,
    WEEKDAY_NAMES,
    WEEKDAY_SHORT,
    PatternSpec,
    format_weekdays,
    parse_rrule,
    parse_weekdays,
    patterns_of,
    spec_from_pattern,
)

__all__ = [
    "auth",  # tests reach auth through admin
    # clinic
    "CLINIC_FIELDS", "LANGUAGES", "MAX_LETTERHEAD", "SLOT_CHOICES", "General", "clinic_language",
    "ean_problem", "format_span", "general", "parse_span", "set_clinic", "set_general", "set_hours",
    "validate_clinic", "validate_general",
    # closing days
    "CALENDAR_HORIZON_DAYS", "CUSTOMARY", "RECURRENCE_KINDS", "ClosingDay", "add_closed_day",
    "add_closed_period", "add_half_day", "add_holiday_week", "add_recurring_closure",
    "bookings_closed_out", "closing_days", "closing_preview", "describe_booking", "recurrence_rule",
    "remove_closing", "send_freed_to_secretaries", "send_to_secretaries", "set_customary",
    # staff
    "add_staff", "clinical_staff", "deactivate_staff", "edit_staff", "list_staff", "reactivate_staff",
    "reset_password", "temporary_password",
    # work patterns
    "PREVIEW_WEEKS", "OrphansFound", "can_edit_pattern", "editable_people", "make_pattern",
    "orphaned_appointments", "preview_pattern", "save_patterns",
    "RRULE_DAYS", "WEEKDAY_NAMES", "WEEKDAY_SHORT", "PatternSpec", "format_weekdays", "parse_rrule",
    "parse_weekdays", "patterns_of", "spec_from_pattern",
    # appointment types
    "COLOUR_NAMES", "COLOURS", "TYPE_ROLES", "TypeData", "TypeInUse", "add_type", "colour_name",
    "delete_type", "edit_type", "list_types", "retire_type", "type_in_use", "validate_type",
]
