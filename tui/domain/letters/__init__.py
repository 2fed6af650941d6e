"""Letters: referrals, discharge summaries, appointment letters and correspondence.

A letter is drafted (usually by a secretary), put in a doctor's queue, signed by the
doctor (the database then refuses any change to its content) and sent, that is
exported as plain text, PDF or, for correspondence, a MedCom CareCommunication FHIR
message. A sent letter is never changed: a new version is a new letter that refers to
the old one (`Letter.replaces`).

Letter bodies are prefilled from Jinja2 templates rendered in a sandbox: the Danish
templates shipped in data/templates, or the clinic's own (LetterTemplate rows).

One module per concern: kinds (kinds, fields, statuses), templating (the sandbox), merge
(the merge context), templates (shipped and clinic templates, the template editor's side),
composing (a letter's text from its template), workflow (draft -> signed -> sent),
drafting (writing and reading a letter), lists, drafts (the editor's unsaved typing),
rendering (text and PDF), exporting (files), recipients. Other code uses them through
this package (`letters.create_letter(...)`); the template editor uses `letters.templates`.
"""
from __future__ import annotations

from tui.domain.letters.composing import (
    free_text,
    letter_context,
    prefill_body,
)
from tui.domain.letters.drafting import (
    create_letter,
    default_subject,
    discard,
    get_letter,
    new_version,
    peek,
    thread_segments,
    update_draft,
)
from tui.domain.letters.drafts import (
    draft_title,
    forget_typing,
    load_typing,
    save_typing,
    unsaved_letters,
)
from tui.domain.letters.exporting import (
    EXPORT_FORMATS,
    export,
    export_filename,
    export_folder,
)
from tui.domain.letters.kinds import (
    CARE_CATEGORIES,
    FREE_TEXT,
    KINDS,
    NEEDS_SIGNATURE,
    PRIORITIES,
    SEND_CHANNEL_TEXT,
    SEND_CHANNELS,
    STATUS_LABELS,
    YES_NO,
    FieldSpec,
    KindSpec,
    LetterError,
    choice_label,
    kind_spec,
    needs_signature,
    set_needs_signature,
)
from tui.domain.letters.lists import (
    LetterRow,
    doctors,
    list_letters,
    to_sign_count,
)
from tui.domain.letters.merge import (
    appointment_context,
    clinic_for_print,
    default_fields,
    describe_appointment,
    doctor_by_id,
    merge_context,
    next_appointment,
    organization_context,
    patient_context,
    sample_context,
    staff_context,
)
from tui.domain.letters.recipients import (
    create_organization,
    organization,
    search_organizations,
)
from tui.domain.letters.rendering import (
    GREETING,
    LetterDoc,
    closing_lines,
    doc_text,
    letter_doc,
    letter_text,
    pdf_bytes,
    write_pdf,
)
from tui.domain.letters.templates import (
    TEMPLATE_DIR,
    TemplateChoice,
    default_template,
    retire_template,
    save_template,
    shipped_templates,
    templates_for,
)
from tui.domain.letters.templating import (
    TOO_LONG,
    Rendered,
    check_template,
    date_filter,
    environment,
    render_here,
    render_template,
)
from tui.domain.letters.workflow import (
    EDITABLE,
    finish,
    mark_sent,
    must_be,
    problems,
    reload,
    return_to_draft,
    sign,
    submit,
)

__all__ = [
    "CARE_CATEGORIES",
    "FREE_TEXT",
    "KINDS",
    "NEEDS_SIGNATURE",
    "PRIORITIES",
    "SEND_CHANNELS",
    "SEND_CHANNEL_TEXT",
    "STATUS_LABELS",
    "YES_NO",
    "FieldSpec",
    "KindSpec",
    "LetterError",
    "choice_label",
    "kind_spec",
    "needs_signature",
    "set_needs_signature",
    "TOO_LONG",
    "Rendered",
    "check_template",
    "date_filter",
    "environment",
    "render_here",
    "render_template",
    "appointment_context",
    "clinic_for_print",
    "default_fields",
    "describe_appointment",
    "doctor_by_id",
    "merge_context",
    "next_appointment",
    "organization_context",
    "patient_context",
    "sample_context",
    "staff_context",
    "TEMPLATE_DIR",
    "TemplateChoice",
    "default_template",
    "retire_template",
    "save_template",
    "shipped_templates",
    "templates_for",
    "free_text",
    "letter_context",
    "prefill_body",
    "EDITABLE",
    "finish",
    "mark_sent",
    "must_be",
    "problems",
    "reload",
    "return_to_draft",
    "sign",
    "submit",
    "create_letter",
    "default_subject",
    "discard",
    "get_letter",
    "new_version",
    "peek",
    "thread_segments",
    "update_draft",
    "LetterRow",
    "doctors",
    "list_letters",
    "to_sign_count",
    "draft_title",
    "forget_typing",
    "load_typing",
    "save_typing",
    "unsaved_letters",
    "GREETING",
    "LetterDoc",
    "closing_lines",
    "doc_text",
    "letter_doc",
    "letter_text",
    "pdf_bytes",
    "write_pdf",
    "EXPORT_FORMATS",
    "export",
    "export_filename",
    "export_folder",
    "create_organization",
    "organization",
    "search_organizations",
]
