"""The MedCom inbox: intake (MedCom's examples and hostile files), matching, routing,
acknowledgements valid against MedCom's acknowledgement profile, crash safety."""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat

import pytest
from inbox_fixtures import EXAMPLE_CPR, answer, drop, example, header_id, resource, with_new_identity

import medcom_examples
import medcom_profiles
from tui.domain import inbox, journal
from tui.domain.medcom_in import MAX_BYTES
from tui.models import AuditEvent, Patient, Task
from tui.models_inbox import InboxAttachment, InboxMessage


@pytest.fixture
def folders(tmp_path):
    incoming = tmp_path / "ind"
    incoming.mkdir()
    return incoming, tmp_path / "ud"


@pytest.fixture
def bruno(database):
    return Patient.create(cpr=EXAMPLE_CPR, first_name="Bruno Test", last_name="Elmer",
                          birth_date=dt.date(1947, 9, 25), sex="M")


def _acks(out):
    return {p.name: json.loads(p.read_text()) for p in sorted(out.glob("*.json"))} if out.exists() else {}


def _ack_problems(ack):
    return medcom_profiles.problems(ack)


def test_medcom_examples_are_imported_matched_routed_and_acknowledged(staff, clinic, bruno, folders):
    incoming, out = folders
    for n, mid in enumerate(medcom_examples.message_ids()):
        drop(incoming, f"{n}-{mid}.json", example(mid))
    outcomes = inbox.import_folder(incoming, out)
    assert [o.result for o in outcomes] == ["imported"] * 5, outcomes
    assert sorted(p.name for p in (incoming / "processed").iterdir()) == sorted(
        f"{n}-{mid}.json" for n, mid in enumerate(medcom_examples.message_ids()))
    assert [p.name for p in incoming.iterdir() if p.is_file()] == []
    new = InboxMessage.get(InboxMessage.header_id == header_id(example(medcom_examples.NEW)))
    assert new.patient_id == bruno.id and new.status == "new" and new.activity == "new-message"
    assert new.category == "examination-results" and new.topic == "Forspørgsel på seneste resultater"
    assert new.sender_sor and new.thread.startswith("urn:uuid:")
    # routed to the desk (the example names no recipient) with a task about the patient
    assert new.to_role == "secretary" and new.task.patient_id == bruno.id and new.task.status == "open"
    reply = InboxMessage.get(InboxMessage.header_id == header_id(example(medcom_examples.REPLY)))
    assert reply.activity == "reply-message" and reply.thread == new.thread
    assert reply.previous_header == new.header_id
    att = InboxAttachment.get(InboxAttachment.message == reply)
    assert att.content_type == "application/pdf" and bytes(att.data).startswith(b"%PDF")
    assert att.title == "Blodprøveresultater"
    fwd = InboxMessage.get(InboxMessage.header_id == header_id(example(medcom_examples.FORWARD)))
    assert fwd.activity == "forward-message"
    ecpr = InboxMessage.get(InboxMessage.cpr_kind == "ecpr")
    assert ecpr.patient_id is None  # unknown replacement CPR: waits in the unmatched queue
    # one positive acknowledgement per message, valid against MedCom's profiles
    acks = _acks(out)
    assert len(acks) == 5
    for name, ack in acks.items():
        assert _ack_problems(ack) == [], name
        h = ack["entry"][0]["resource"]
        assert h["response"]["code"] == "ok"
        assert h["eventCoding"]["code"] == "acknowledgement-message"
    ack = acks[f"kvittering-{new.header_id}-ok.json"]
    h = ack["entry"][0]["resource"]
    assert h["response"]["identifier"] == new.header_id
    # the acknowledgement goes back to the sender's endpoint, from the clinic
    assert h["destination"][0]["endpoint"] == new.sender_endpoint
    orgs = {e["resource"]["id"]: e["resource"] for e in ack["entry"]
            if e["resource"]["resourceType"] == "Organization"}
    me = orgs[h["sender"]["reference"].split("/")[1]]
    assert {"system": "urn:oid:1.2.208.176.1.1", "value": clinic["sor"]} in me["identifier"]
    prov = resource(ack, "Provenance")
    assert prov["entity"] == [{"role": "revision", "what": {"reference": f"MessageHeader/{new.header_id}"}}]
    assert stat.S_IMODE(os.stat(out / f"kvittering-{new.header_id}-ok.json").st_mode) == 0o600


def test_counts_and_views(staff, clinic, bruno, folders):
    incoming, out = folders
    drop(incoming, "a.json", example())
    drop(incoming, "b.json", example("0d5b3c18-fab6-4d93-9d88-c9c8abf1f18c"))
    drop(incoming, "c.json", b"{not json")
    inbox.import_folder(incoming, out)
    sec = staff["secretary"]
    c = inbox.counts(sec)
    assert (c.unfiled, c.unmatched, c.failed) == (2, 1, 1)
    assert inbox.counts(staff["doctor"]).unfiled == 0  # routed to the desk, not to doctors
    assert inbox.counts(staff["admin"]).unfiled == 0  # the administrator sees no patient data
    assert len(inbox.list_messages(sec, "mine")) == 2
    assert [r.matched for r in inbox.list_messages(sec, "unmatched")] == [False]
    failed = inbox.list_messages(sec, "failed")
    assert len(failed) == 1 and "JSON" in failed[0].topic


def test_hostile_files_go_to_quarantine_with_reason(staff, clinic, bruno, folders):
    incoming, out = folders
    good = example()
    text = json.dumps(good)
    wrong = with_new_identity(good)
    wrong["meta"]["profile"] = ["http://medcomfhir.dk/ig/homecareobservation/StructureDefinition/x"]
    wrong["entry"][0]["resource"]["eventCoding"]["code"] = "homecareobservation-message"
    no_patient = with_new_identity(good)
    no_patient["entry"] = [e for e in no_patient["entry"] if e["resource"]["resourceType"] != "Patient"]
    drop(incoming, "truncated.json", text[: len(text) // 2])
    drop(incoming, "wrong-profile.json", wrong)
    drop(incoming, "no-patient.json", no_patient)
    drop(incoming, "nan.json", text.replace('"message"', "NaN", 1))
    drop(incoming, "dupkey.json", '{"resourceType": "Bundle", "resourceType": "Bundle"}')
    drop(incoming, "latin1.json", "{\"a\": \"Ærø\"}".encode("latin-1"))
    drop(incoming, "deep.json", "[" * 100000 + "]" * 100000)
    drop(incoming, "ref01.edi", b"UNA:+.? 'UNB+UNOC:3+5790000000000:14'")
    big = incoming / "50mb.json"
    with big.open("wb") as fh:  # made here, never committed
        fh.write(b'{"resourceType": "Bundle", "pad": "')
        fh.truncate(50 * 1024 * 1024)
    os.symlink("/etc/passwd", incoming / "link.json")
    outcomes = {o.file: o for o in inbox.import_folder(incoming, out)}
    assert {k: o.result for k, o in outcomes.items()} == {k: "quarantined" for k in outcomes}
    assert len(outcomes) == 10
    q = incoming / "quarantine"
    for name in outcomes:
        assert (q / name).exists() or (q / name).is_symlink()
        reason = (q / f"{name}.reason.txt").read_text()
        assert reason.strip()
    assert "for stor" in (q / "50mb.json.reason.txt").read_text()
    assert "JSON" in (q / "truncated.json.reason.txt").read_text()
    assert "CareCommunication" in (q / "wrong-profile.json.reason.txt").read_text()
    assert "Patient" in (q / "no-patient.json.reason.txt").read_text()
    assert "UTF-8" in (q / "latin1.json.reason.txt").read_text()
    assert "link" in (q / "link.json.reason.txt").read_text()
    # the readable ones whose sender is known get a negative acknowledgement with the reason
    acks = _acks(out)
    assert sorted(acks) == sorted([f"kvittering-{header_id(wrong)}-fatal-error.json",
                                   f"kvittering-{header_id(no_patient)}-fatal-error.json"])
    for ack in acks.values():
        assert _ack_problems(ack) == []
        h = ack["entry"][0]["resource"]
        assert h["response"]["code"] == "fatal-error"
        outcome = resource(ack, "OperationOutcome")
        assert h["response"]["details"] == {"reference": f"OperationOutcome/{outcome['id']}"}
        assert outcome["issue"][0]["details"]["text"]
    assert InboxMessage.select().where(InboxMessage.status == "failed").count() == 10
    assert Task.select().count() == 0


def test_markup_and_control_characters_stay_literal_text(staff, clinic, bruno, folders):
    incoming, out = folders
    b = with_new_identity(example())
    hostile = "[bold red]VIP[/] [@click=app.quit]x[/] \x1b[31mrød\x1b[0m \x07 <script>"
    resource(b, "Communication")["payload"][0]["contentString"] = hostile + "\x00"
    resource(b, "Communication")["topic"]["text"] = "[/]" + "\x1b]0;title\x07"
    resource(b, "Patient")["name"][0]["family"] = "[red]Elmer[/red]"
    drop(incoming, "m.json", b)
    assert inbox.import_folder(incoming, out)[0].result == "imported"
    msg = InboxMessage.get()
    assert msg.payloads[0]["text"] == hostile  # kept as written, NUL dropped
    assert msg.topic == "[/]\x1b]0;title\x07" and msg.patient_name.endswith("[red]Elmer[/red]")


def test_duplicate_is_read_once_and_acknowledged_again(staff, clinic, bruno, folders):
    incoming, out = folders
    drop(incoming, "a.json", example())
    inbox.import_folder(incoming, out)
    name = f"kvittering-{header_id(example())}-ok.json"
    (out / name).unlink()  # the VANS client took the acknowledgement
    drop(incoming, "a.json", example())  # the sender sends it again
    [o] = inbox.import_folder(incoming, out)
    assert o.result == "duplicate"
    assert InboxMessage.select().count() == 1 and Task.select().count() == 1
    assert (out / name).exists()  # answered again, with the same identities
    assert sorted(p.name for p in (incoming / "processed").iterdir()) == ["a-1.json", "a.json"]
    # another file claiming the same identity, with other content: quarantine
    forged = example()
    resource(forged, "Communication")["payload"][0]["contentString"] = "Noget andet"
    drop(incoming, "forged.json", forged)
    [o] = inbox.import_folder(incoming, out)
    assert o.result == "quarantined" and "samme identitet" in o.reason
    assert InboxMessage.select().count() == 1


@pytest.mark.parametrize("step", ["ack", "move"])
def test_a_crash_between_steps_loses_and_duplicates_nothing(staff, clinic, bruno, folders,
                                                            monkeypatch, step):
    incoming, out = folders
    drop(incoming, "a.json", example())
    real_write, real_move = inbox._write_ack, inbox._move

    def crash(*a, **k):
        raise KeyboardInterrupt  # as far as the data goes, the process stops here

    monkeypatch.setattr(inbox, "_write_ack" if step == "ack" else "_move", crash)
    with pytest.raises(KeyboardInterrupt):
        inbox.import_folder(incoming, out)
    assert (incoming / "a.json").exists() and InboxMessage.select().count() == 1
    monkeypatch.setattr(inbox, "_write_ack", real_write)
    monkeypatch.setattr(inbox, "_move", real_move)
    [o] = inbox.import_folder(incoming, out)  # the restart
    assert o.result == "duplicate"
    assert InboxMessage.select().count() == 1 and Task.select().count() == 1
    assert [p.name for p in (incoming / "processed").iterdir()] == ["a.json"]
    assert len(_acks(out)) == 1


def test_a_failed_transaction_leaves_the_file_for_the_next_round(staff, clinic, bruno, folders,
                                                                monkeypatch):
    incoming, out = folders
    drop(incoming, "a.json", example())

    def broken(*a, **k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(inbox, "_task_owner", broken)
    with pytest.raises(RuntimeError):
        inbox.import_folder(incoming, out)
    assert InboxMessage.select().count() == 0 and InboxAttachment.select().count() == 0
    assert (incoming / "a.json").exists() and not _acks(out)


def test_routing_to_a_named_staff_member_or_role(staff, clinic, bruno, folders):
    incoming, out = folders
    b = with_new_identity(example())
    comm = resource(b, "Communication")
    role = {"resourceType": "PractitionerRole", "id": "r1", "practitioner": {"reference": "Practitioner/p1"},
            "code": [{"coding": [{"code": "laege"}]}]}
    person = {"resourceType": "Practitioner", "id": "p1", "name": [{"given": ["Lars"], "family": "Læge"}]}
    b["entry"] += [{"fullUrl": "https://x/PractitionerRole/r1", "resource": role},
                   {"fullUrl": "https://x/Practitioner/p1", "resource": person}]
    comm["recipient"] = [{"reference": "PractitionerRole/r1"}]
    drop(incoming, "named.json", b)
    b2 = with_new_identity(b)
    next(e["resource"] for e in b2["entry"] if e["resource"]["id"] == "p1")["name"] = [{"family": "Ukendt"}]
    drop(incoming, "role.json", b2)
    inbox.import_folder(incoming, out)
    named = InboxMessage.get(InboxMessage.file_name == "named.json")
    assert named.to_staff_id == staff["doctor"].id and named.task.to_staff_id == staff["doctor"].id
    by_role = InboxMessage.get(InboxMessage.file_name == "role.json")
    assert by_role.to_staff_id is None and by_role.to_role == "doctor"
    assert inbox.counts(staff["doctor"]).unfiled == 2 and inbox.counts(staff["nurse"]).unfiled == 0


def test_link_view_file_and_save_are_audited(staff, clinic, bruno, folders, tmp_path):
    incoming, out = folders
    b = example("0d5b3c18-fab6-4d93-9d88-c9c8abf1f18c")  # replacement CPR, unknown here
    drop(incoming, "e.json", b)
    drop(incoming, "r.json", example(medcom_examples.REPLY))
    inbox.import_folder(incoming, out)
    sec = staff["secretary"]
    msg = InboxMessage.get(InboxMessage.file_name == "e.json")
    with pytest.raises(inbox.InboxError):
        inbox.file_message(sec, msg.id)  # unmatched: link first
    inbox.open_message(sec, msg.id)
    assert AuditEvent.select().where((AuditEvent.action == "inbox_view")
                                     & AuditEvent.patient.is_null()).count() == 1
    other = Patient.create(cpr=msg.cpr, cpr_kind="x-ecpr", first_name="Ny", last_name="Patient",
                           birth_date=dt.date(1990, 1, 1), sex="F")
    inbox.link_patient(sec, msg.id, other)
    assert AuditEvent.get(AuditEvent.action == "inbox_linked").patient_id == other.id
    entry = inbox.file_message(sec, msg.id)
    msg = InboxMessage.get_by_id(msg.id)
    assert msg.status == "filed" and msg.journal_entry_id == entry.id and msg.task.status == "done"
    assert entry.kind == "message" and f"indbakke nr. {msg.id}" in entry.text
    assert inbox.message_text(msg).splitlines()[-1] in entry.text
    assert AuditEvent.get(AuditEvent.action == "inbox_filed").patient_id == other.id
    assert journal.count(other) == 1
    with pytest.raises(inbox.InboxError):
        inbox.file_message(sec, msg.id)
    # the reply's PDF: shown as text, saved privately on request
    reply = InboxMessage.get(InboxMessage.file_name == "r.json")
    detail = inbox.open_message(sec, reply.id)
    assert [m.file_name for m in detail.thread] == []  # the first message of the thread never came here
    att_id = detail.attachments[0][0]
    text = inbox.attachment_text(inbox.attachment(sec, att_id))
    assert text is not None
    path = inbox.save_attachment(sec, att_id, tmp_path / "gem")
    assert path.read_bytes().startswith(b"%PDF") and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert AuditEvent.get(AuditEvent.action == "inbox_attachment_saved").patient_id == bruno.id


def test_attachment_with_bad_base64_is_refused(staff, clinic, bruno, folders):
    incoming, out = folders
    b = with_new_identity(example(medcom_examples.REPLY))
    resource(b, "Communication")["payload"][2]["contentAttachment"]["data"] = "!!notbase64"
    drop(incoming, "x.json", b)
    [o] = inbox.import_folder(incoming, out)
    assert o.result == "quarantined" and "base64" in o.reason


def test_too_large_limit_is_the_limit(staff, clinic, bruno, folders):
    incoming, out = folders
    b = with_new_identity(example(medcom_examples.REPLY))
    data = json.dumps(b).encode()
    b2 = json.loads(data)
    b2["pad"] = ""
    b2["pad"] = "x" * (MAX_BYTES - len(json.dumps(b2).encode()))  # unknown element, but within the limit: read, then judged on content
    drop(incoming, "edge.json", json.dumps(b2).encode())
    assert (incoming / "edge.json").stat().st_size == MAX_BYTES
    [o] = inbox.import_folder(incoming, out)
    assert o.result == "imported"
    assert base64  # noqa: B018  (imported for the readers of this file)


@pytest.fixture
def signed_letter(staff, clinic):
    from tui.domain import letters
    from tui.models import Organization

    org = Organization.create(name="Medicinsk Afdeling M", kind="hospital", sor="999000000001",
                              ean="5790999000017")
    p = Patient.create(cpr="0102031234", first_name="Søren", last_name="Åberg",
                       birth_date=dt.date(2003, 2, 1), sex="M")
    letter = letters.create_letter(staff["secretary"], p, "korrespondance", recipient=org,
                                   fields={"category": "other"}, subject="Spørgsmål")
    letters.update_draft(staff["secretary"], letter, body="Hvordan går det?")
    letters.submit(staff["secretary"], letter, staff["doctor"])
    return letters.sign(staff["doctor"], letter), org


@pytest.mark.parametrize("code", ["ok", "fatal-error"])
def test_letters_sent_by_medcom_are_marked_by_their_acknowledgement(staff, clinic, folders, signed_letter, code):
    from tui.domain import medcom_out
    from tui.models import Letter

    incoming, out = folders
    letter, org = signed_letter
    path = medcom_out.send(staff["secretary"], letter.id, out)
    assert path.parent == out and stat.S_IMODE(path.stat().st_mode) == 0o600
    sent = json.loads(path.read_text())
    assert medcom_profiles.problems(sent) == []
    letter = Letter.get_by_id(letter.id)
    assert letter.status == "sent" and letter.sent_channel == "medcom"
    assert medcom_out.delivery(letter.id).state == "sent"
    with pytest.raises(Exception):
        medcom_out.send(staff["secretary"], letter.id, out)  # sent once
    ack = answer(letter, org, code, "Modtageren kender ikke patienten")
    assert medcom_profiles.problems(ack) == []
    drop(incoming, "kvittering.json", ack)
    [o] = inbox.import_folder(incoming, out)
    assert o.result == "acknowledgement"
    d = medcom_out.delivery(letter.id)
    assert d.state == ("delivered" if code == "ok" else "failed")
    # an acknowledgement is never acknowledged, and it is not a message for the desk
    assert sorted(p.name for p in out.iterdir()) == [path.name]
    assert inbox.counts(staff["secretary"]).unfiled == 0
    tasks = list(Task.select())
    if code == "ok":
        assert tasks == []
    else:
        assert d.reason == "Modtageren kender ikke patienten"
        assert [t.to_staff_id for t in tasks] == [staff["secretary"].id]  # the letter's author


def test_reply_and_forward_stay_in_the_thread(staff, clinic, bruno, folders):
    from tui.domain import fhir, letters
    from tui.models import Organization

    incoming, out = folders
    drop(incoming, "a.json", example())
    inbox.import_folder(incoming, out)
    msg = InboxMessage.get()
    sec, doc = staff["secretary"], staff["doctor"]
    letter = inbox.reply(sec, msg.id)
    assert letter.recipient.sor == msg.sender_sor and letter.subject.startswith("Sv: ")
    letters.update_draft(sec, letter, body="Svaret følger.")
    letters.submit(sec, letter, doc)
    letter = letters.sign(doc, letter)
    bundle = fhir.message_for(letter, clinic)
    assert medcom_profiles.problems(bundle) == [] and fhir.problems(bundle) == []
    comm = resource(bundle, "Communication")
    assert comm["identifier"][0]["value"] == msg.thread
    prov = resource(bundle, "Provenance")
    assert prov["activity"]["coding"][0]["code"] == "reply-message"
    assert {"role": "revision", "what": {"reference": f"MessageHeader/{msg.header_id}"}} in prov["entity"]
    other = Organization.create(name="Hjemmeplejen", kind="municipality", sor="999000000006",
                                ean="5790999000062")
    fwd = inbox.forward(sec, msg.id, other)
    assert "Til rette vedkommende" in fwd.fields[fhir.EARLIER_FIELD]  # carried, not quoted
    assert fwd.fields[fhir.ACTIVITY_FIELD] == "forward-message"
    assert AuditEvent.select().where(AuditEvent.action.in_(["inbox_answered", "inbox_forwarded"])).count() == 2


def test_disk_full_at_the_acknowledgement_leaves_the_file_for_the_next_round(staff, clinic, bruno,
                                                                           folders, monkeypatch):
    import errno

    incoming, out = folders
    drop(incoming, "a.json", example())
    real = inbox._write_ack

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(inbox, "_write_ack", full)
    with pytest.raises(OSError):
        inbox.import_folder(incoming, out)
    assert (incoming / "a.json").exists()  # not moved: it was not acknowledged
    # the watcher logs it and goes on: the next round answers and moves it
    looks = []
    inbox.watch(incoming, out, poll=0.01, stop=lambda: looks.append(1) or len(looks) > 1)  # one round
    assert (incoming / "a.json").exists()
    monkeypatch.setattr(inbox, "_write_ack", real)
    [o] = inbox.import_folder(incoming, out)
    assert o.result == "duplicate" and len(_acks(out)) == 1
    assert InboxMessage.select().count() == 1 and (incoming / "processed" / "a.json").exists()


def test_the_parser_takes_any_bytes_or_json(staff):
    from hypothesis import HealthCheck, given, settings as hsettings
    from hypothesis import strategies as st

    from tui.domain.medcom_in import Rejected, parse

    base = example(medcom_examples.REPLY)
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20)

    def mutate(bundle, path, value):
        node = bundle
        for step in path[:-1]:
            if isinstance(node, dict) and node:
                node = node[sorted(node)[step % len(node)]]
            elif isinstance(node, list) and node:
                node = node[step % len(node)]
        if isinstance(node, dict) and node:
            node[sorted(node)[path[-1] % len(node)]] = value
        elif isinstance(node, list) and node:
            node[path[-1] % len(node)] = value
        return bundle

    @hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.binary(max_size=200) | st.builds(lambda p, v: json.dumps(mutate(json.loads(json.dumps(base)), p, v)).encode(),
                                                st.lists(st.integers(0, 50), min_size=1, max_size=8), json_values))
    def check(data):
        try:
            parse(data)
        except Rejected as exc:
            assert exc.reason

    check()


def test_a_known_replacement_cpr_is_matched(staff, clinic, folders):
    incoming, out = folders
    b = example("0d5b3c18-fab6-4d93-9d88-c9c8abf1f18c")
    ident = resource(b, "Patient")["identifier"][0]
    assert ident["system"] == "urn:oid:1.2.208.176.1.6.1.1"
    p = Patient.create(cpr=ident["value"], cpr_kind="x-ecpr", first_name="Birgit",
                       last_name="Berggren", birth_date=dt.date(1950, 1, 1), sex="F")
    drop(incoming, "e.json", b)
    inbox.import_folder(incoming, out)
    msg = InboxMessage.get()
    assert msg.cpr_kind == "ecpr" and msg.patient_id == p.id


def test_a_reply_carries_the_earlier_messages_of_the_thread(staff, clinic, bruno, folders):
    """As in MedCom's 3rd and 4th examples: a reply (or forward) repeats the thread's earlier
    payloads, oldest first, each with its own date, identifier (and assigner), author and
    contact; an earlier attachment is named again without its data. Only the new payload
    is the Provenance's source. Valid against the CareCommunication profiles."""
    from tui.domain import fhir, letters
    from tui.models import Organization

    incoming, out = folders
    drop(incoming, "r.json", example(medcom_examples.REPLY))  # 2 texts (A, then B) and B's PDF
    inbox.import_folder(incoming, out)
    msg = InboxMessage.get()
    received = resource(example(medcom_examples.REPLY), "Communication")["payload"]
    sec, doc = staff["secretary"], staff["doctor"]
    letter = inbox.reply(sec, msg.id)
    letters.update_draft(sec, letter, body="Tak, vi ser på det.")
    letters.submit(sec, letter, doc)
    letter = letters.sign(doc, letter)
    bundle = fhir.message_for(letter, clinic)
    assert medcom_profiles.problems(bundle) == [] and fhir.problems(bundle) == []
    payloads = resource(bundle, "Communication")["payload"]
    earlier = payloads[:len(received)]
    assert [p.get("contentString") for p in earlier] == [p.get("contentString") for p in received]

    def ext(p, name):
        return next(e for e in p["extension"] if e["url"].endswith(name))

    for mine, theirs in zip(earlier, received):
        assert ext(mine, "identifier-extension")["valueIdentifier"]["value"] == \
            ext(theirs, "identifier-extension")["valueIdentifier"]["value"]
        assert ext(mine, "datetime-extension")["valueDateTime"] == \
            ext(theirs, "datetime-extension")["valueDateTime"]
    assert "data" not in earlier[2]["contentAttachment"]
    assert earlier[2]["contentAttachment"]["title"] == "Blodprøveresultater"
    assert "Tak, vi ser på det." in payloads[len(received)]["contentString"]
    # the authors resolve to their roles and names; the assigners to their organizations
    entries = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
               for e in bundle["entry"]}
    first_author = entries[ext(earlier[0], "practitioner-extension")["valueReference"]["reference"]]
    assert entries[first_author["practitioner"]["reference"]]["name"][0]["family"]
    sors = {entries[ext(p, "identifier-extension")["valueIdentifier"]["assigner"]["reference"]]
            ["identifier"][0]["value"] for p in earlier}
    assert sors == {"265161000016000", "953741000016009"}
    prov = resource(bundle, "Provenance")
    sources = [e["what"]["identifier"]["value"] for e in prov["entity"] if e["role"] == "source"]
    assert ext(earlier[0], "identifier-extension")["valueIdentifier"]["value"] not in sources
    assert ext(payloads[len(received)], "identifier-extension")["valueIdentifier"]["value"] in sources
    # a forward carries them too (and does not repeat them in its own text)
    other = Organization.create(name="Hjemmeplejen", kind="municipality", sor="999000000006",
                                ean="5790999000062")
    fwd = inbox.forward(sec, msg.id, other)
    letters.update_draft(sec, fwd, body="Til jeres orientering.")
    letters.submit(sec, fwd, doc)
    fwd = letters.sign(doc, fwd)
    bundle = fhir.message_for(fwd, clinic)
    assert medcom_profiles.problems(bundle) == [] and fhir.problems(bundle) == []
    texts = [p.get("contentString") for p in resource(bundle, "Communication")["payload"]]
    assert texts[:2] == [p.get("contentString") for p in received[:2]]
    assert sum(received[0]["contentString"] in (t or "") for t in texts) == 1


def test_a_batch_records_in_one_transaction_and_a_faulty_file_holds_back_only_itself(
        staff, clinic, bruno, folders, monkeypatch):
    """Files are recorded in batches (one commit); when one file's recording fails, the batch
    is redone file by file: the files before it are imported, acknowledged and moved, it stays.
    The same message twice in one batch is recorded once."""
    import os as _os

    incoming, out = folders
    good = with_new_identity(example(), seed="good")
    boom = with_new_identity(example(), seed="boom")
    resource(boom, "Communication")["topic"]["text"] = "BOOM"
    for n, (name, body) in enumerate((("a.json", good), ("b.json", good), ("c.json", boom))):
        drop(incoming, name, body)
        _os.utime(incoming / name, (1_000_000 + n, 1_000_000 + n))  # this order
    real_care = inbox._record_care

    def care(parsed, *a, **k):
        if parsed.topic == "BOOM":
            raise RuntimeError("database went away")
        return real_care(parsed, *a, **k)

    monkeypatch.setattr(inbox, "_record_care", care)
    with pytest.raises(RuntimeError):
        inbox.import_folder(incoming, out)
    assert InboxMessage.select().count() == 1 and Task.select().count() == 1
    assert sorted(p.name for p in (incoming / "processed").iterdir()) == ["a.json", "b.json"]
    assert (incoming / "c.json").exists() and len(_acks(out)) == 1
    monkeypatch.setattr(inbox, "_record_care", real_care)
    outcomes = inbox.import_folder(incoming, out)
    assert [o.result for o in outcomes] == ["imported"] and InboxMessage.select().count() == 2
