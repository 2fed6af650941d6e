"""The clinic tab: name and address, general settings, opening hours, signatures."""
from __future__ import annotations

from typing import Any

from textual.binding import Binding

from tui.domain import admin, settings
from tui.domain.phones import format_phone
from tui.i18n import _
from tui.screens.admin.pane import AdminPane
from tui.widgets.forms import FormField, yes_no


class ClinicPane(AdminPane):
    BINDINGS = [
        Binding("e", "edit_clinic", "Clinic details", id="admin.clinic_pane.clinic_details"),
        Binding("g", "edit_general", "General", id="admin.clinic_pane.general"),
        Binding("o", "edit_hours", "Opening hours", id="admin.clinic_pane.opening_hours"),
        Binding("s", "edit_signatures", "Letters signed by a doctor", show=False, id="admin.clinic_pane.letters_signed_by_a_doctor"),
    ]

    def on_mount(self) -> None:
        self.table.add_columns(_("Setting"), _("Value"))
        super().on_mount()

    def reload(self) -> None:
        c = settings.clinic()
        g = admin.general()
        s = settings.calendar_settings()
        rows: list[tuple[str, list]] = [
            ("name", [_("Name"), c["name"]]),
            ("address", [_("Address"), " ".join(x for x in (c["address"], c["postcode"], c["city"]) if x)]),
            ("phone", [_("Phone"), format_phone(c["phone"]) if c["phone"] else ""]),
            ("sor", [_("SOR code"), c["sor"]]),
            ("ean", [_("EAN number"), c["ean"]]),
            ("letterhead", [_("Letterhead"), c["letterhead"].replace("\n", " · ")]),
            ("slot", [_("Time slots"), _("{n} minutes").format(n=g.slot_minutes)]),
            ("waiting", [_("Waiting-room threshold"), _("{n} minutes").format(n=g.waiting_threshold_minutes)]),
            ("idle", [_("Lock when idle"), _("{n} minutes").format(n=g.idle_lock_minutes)]),
            ("language", [_("Language"), g.language]),
            ("own", [_("Doctors edit own work pattern"), _("yes") if g.doctors_edit_own_pattern else _("no")]),
        ]
        for wd in range(7):
            rows.append((f"h{wd}", [admin.WEEKDAY_NAMES[wd], admin.format_span(s.hours.get(wd))]))
        rows.append(("lunch", [_("Lunch closure"), admin.format_span(s.lunch)]))
        phone = admin.format_span(s.phone_hour)
        if s.phone_hour and s.phone_hour_bookable:
            phone += " " + _("(bookable)")
        rows.append(("phone_hour", [_("Telephone hour"), phone]))
        from tui.domain import letters

        signed = ", ".join(_(spec.label) for kind, spec in letters.KINDS.items()
                           if letters.needs_signature(kind))
        rows.append(("signatures", [_("Letters signed by a doctor (s)"), signed or _("none")]))
        self.fill(rows)

    def action_edit_clinic(self) -> None:
        c = settings.clinic()
        fields = [
            FormField("name", _("Name"), c["name"]),
            FormField("address", _("Address"), c["address"]),
            FormField("postcode", _("Postcode"), c["postcode"]),
            FormField("city", _("City"), c["city"]),
            FormField("phone", _("Phone"), format_phone(c["phone"]) if c["phone"] else ""),
            FormField("sor", _("SOR code"), c["sor"]),
            FormField("ean", _("EAN number"), c["ean"], hint=_("13 digits (location number)")),
            FormField("letterhead", _("Letterhead"), c["letterhead"], kind="area"),
        ]

        def submit(values: dict) -> Any:
            result = admin.set_clinic(self.user, values)
            self.app.clinic_name = result["name"]
            return result

        self.form(_("Clinic details"), fields, submit, draft_key="clinic")

    def action_edit_general(self) -> None:
        g = admin.general()
        fields = [
            FormField("slot_minutes", _("Time slots (minutes)"), g.slot_minutes, "choice",
                      [(n, str(n)) for n in admin.SLOT_CHOICES]),
            FormField("waiting_threshold_minutes", _("Waiting-room threshold"),
                      g.waiting_threshold_minutes, hint=_("minutes before a waiting patient is highlighted")),
            FormField("idle_lock_minutes", _("Lock when idle after"), g.idle_lock_minutes,
                      hint=_("minutes")),
            FormField("language", _("Language"), g.language, "choice",
                      [("da", "dansk"), ("en", "English")]),
            FormField("doctors_edit_own_pattern", _("Doctors edit own pattern"),
                      g.doctors_edit_own_pattern, "choice", yes_no()),
        ]
        self.form(_("General settings"), fields,
                  lambda v: admin.set_general(self.user, v), draft_key="general")

    def action_edit_signatures(self) -> None:
        from tui.domain import letters

        fields = [FormField(kind, _(spec.label), letters.needs_signature(kind), "choice", yes_no())
                  for kind, spec in letters.KINDS.items()]
        self.form(_("Which letters need a doctor's signature"), fields,
                  lambda v: letters.set_needs_signature(
                      self.user, {k: v[k] in (True, "True", "true", "1", "yes") for k in v}),
                  draft_key="signatures")

    def action_edit_hours(self) -> None:
        s = settings.calendar_settings()
        fields = [FormField(f"h{wd}", admin.WEEKDAY_NAMES[wd], admin.format_span(s.hours.get(wd)))
                  for wd in range(7)]
        fields += [
            FormField("lunch", _("Lunch closure"), admin.format_span(s.lunch)),
            FormField("phone_hour", _("Telephone hour"), admin.format_span(s.phone_hour)),
            FormField("bookable", _("Book in telephone hour"), s.phone_hour_bookable, "choice", yes_no()),
        ]

        def submit(v: dict) -> Any:
            hours = {wd: admin.parse_span(v[f"h{wd}"], admin.WEEKDAY_NAMES[wd]) for wd in range(7)}
            return admin.set_hours(self.user, hours, admin.parse_span(v["lunch"], _("Lunch")),
                                   admin.parse_span(v["phone_hour"], _("Telephone hour")),
                                   v["bookable"])

        self.calendar_form(_("Opening hours (like 8-16; - for closed)"), fields, submit,
                           draft_key="hours")
