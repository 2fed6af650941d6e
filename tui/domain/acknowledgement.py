"""MedCom Acknowledgement (kvittering): the answer to every received MedCom FHIR message.

IG http://medcomfhir.dk/ig/acknowledgement (medcomdk/dk-medcom-acknowledgement): a message
Bundle whose MessageHeader (event acknowledgement-message) goes back to the sender's
endpoint, names the received MessageHeader in response.identifier and says ok,
transient-error or fatal-error in response.code; a negative one refers to an
OperationOutcome with the reason. A Provenance (activity acknowledgement) names the received
message as its revision entity. Sender and receiver are Organizations with SOR and EAN.

Its identities are derived from the received message (medcom_in.uuid_for): acknowledging the
same message twice (a resend, a restart of the importer) gives the same acknowledgement.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from tui.domain import clock, fhir
from tui.domain.medcom_in import Parsed, Party, uuid_for

IG = "http://medcomfhir.dk/ig/acknowledgement"
BUNDLE_PROFILE = f"{IG}/StructureDefinition/medcom-messaging-acknowledgement"
HEADER_PROFILE = f"{IG}/StructureDefinition/medcom-messaging-acknowledgementHeader"
OUTCOME_PROFILE = f"{IG}/StructureDefinition/medcom-acknowledgement-operationoutcome"
PROVENANCE_PROFILE = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
ACK_EVENT = "acknowledgement-message"
RESPONSE_SYSTEM = "http://hl7.org/fhir/ValueSet/Acknowledgement-code"
BASE = "https://medcomfhir.dk/ig/acknowledgement/"


def _organization(rid: str, party: Party) -> dict[str, Any]:
    idents = []
    if party.sor:
        idents.append({"system": fhir.SOR_SYSTEM, "value": party.sor})
    if party.ean:
        idents.append({"system": fhir.EAN_SYSTEM, "value": party.ean})
    lines = [f"Id: {rid}", f"Navn: {party.name}"]
    lines += [f"{'SOR' if i['system'] == fhir.SOR_SYSTEM else 'EAN'}: {i['system']} {i['value']}"
              for i in idents]
    org: dict[str, Any] = {"resourceType": "Organization", "id": rid,
                           "meta": {"profile": [fhir.ORGANIZATION_PROFILE]},
                           "text": fhir._narrative(*lines), "identifier": idents}
    if party.name:
        org["name"] = party.name
    return org


def clinic_party(clinic: dict[str, Any], fallback: Party) -> Party:
    """The clinic as the sender of its answers: its own SOR and EAN, or, before they are set
    up, the receiver the message named (that is the clinic, as the sender knows it)."""
    sor, ean = str(clinic.get("sor") or ""), str(clinic.get("ean") or "")
    if sor and ean:
        return Party(name=str(clinic.get("name") or fallback.name), sor=sor, ean=ean,
                     endpoint=f"{fhir.SOR_ENDPOINT}{sor}")
    return Party(name=fallback.name or str(clinic.get("name") or ""), sor=fallback.sor,
                 ean=fallback.ean, endpoint=fallback.endpoint or f"{fhir.SOR_ENDPOINT}{fallback.sor}")


def build(received: Parsed, code: str, reason: str, clinic: dict[str, Any], *,
          now: dt.datetime | None = None) -> dict[str, Any]:
    """The Acknowledgement for a received message: code 'ok' or 'fatal-error' (with reason)."""
    h = received.header_id
    ids = {k: uuid_for(h, "ack", code, k) for k in
           ("bundle", "header", "provenance", "sender", "receiver", "outcome")}
    me = clinic_party(clinic, received.receiver)
    them = received.sender
    to_endpoint = them.endpoint or f"{fhir.SOR_ENDPOINT}{them.sor}"
    stamp = fhir._instant(now or clock.now_utc())
    header: dict[str, Any] = {
        "resourceType": "MessageHeader", "id": ids["header"],
        "meta": {"profile": [HEADER_PROFILE]},
        "eventCoding": {"system": fhir.EVENT_CODES, "code": ACK_EVENT},
        "destination": [{
            "extension": [{"url": fhir.DESTINATION_USE_EXT,
                           "valueCoding": {"system": fhir.DESTINATION_USE, "code": "primary"}}],
            "endpoint": to_endpoint,
            "receiver": {"reference": f"Organization/{ids['receiver']}"},
        }],
        "sender": {"reference": f"Organization/{ids['sender']}"},
        "source": {"endpoint": me.endpoint},
        "response": {"identifier": h, "code": code},
    }
    lines = [f"Id: {ids['header']}", f"Hændelse: {ACK_EVENT}",
             f"Modtager: Organization/{ids['receiver']} ({them.name}), endpoint {to_endpoint}",
             f"Afsender: Organization/{ids['sender']} ({me.name})",
             f"Kilde: endpoint {me.endpoint}", f"Svar på: {h}", f"Svarkode: {code}"]
    resources: list[dict[str, Any]] = [header]
    if code != "ok":
        header["response"]["details"] = {"reference": f"OperationOutcome/{ids['outcome']}"}
        lines.append(f"Detaljer: OperationOutcome/{ids['outcome']}")
        resources.append({
            "resourceType": "OperationOutcome", "id": ids["outcome"],
            "meta": {"profile": [OUTCOME_PROFILE]},
            "text": fhir._narrative(f"Id: {ids['outcome']}", "Alvor: error", f"Årsag: {reason}"),
            "issue": [{"severity": "error", "code": "processing" if code == "fatal-error" else "transient",
                       "details": {"text": reason[:1000] or "Meddelelsen kunne ikke modtages"}}],
        })
    header["text"] = fhir._narrative(*lines)
    provenance = {
        "resourceType": "Provenance", "id": ids["provenance"],
        "meta": {"profile": [PROVENANCE_PROFILE]},
        "text": fhir._narrative(f"Id: {ids['provenance']}", f"Mål: MessageHeader/{ids['header']}",
                                f"Tidspunkt: {stamp}", "Aktivitet: acknowledgement",
                                f"Aktør: Organization/{ids['sender']} ({me.name})",
                                "Rolle: revision", f"Forrige meddelelse: MessageHeader/{h}"),
        "target": [{"reference": f"MessageHeader/{ids['header']}"}],
        "occurredDateTime": stamp,
        "recorded": stamp,
        "activity": {"coding": [{"system": fhir.ACTIVITY_CODES, "code": "acknowledgement"}]},
        "agent": [{"who": {"reference": f"Organization/{ids['sender']}"}}],
        "entity": [{"role": "revision", "what": {"reference": f"MessageHeader/{h}"}}],
    }
    resources += [provenance, _organization(ids["sender"], me), _organization(ids["receiver"], them)]
    return {
        "resourceType": "Bundle", "id": ids["bundle"],
        "meta": {"profile": [BUNDLE_PROFILE]},
        "type": "message",
        "timestamp": stamp,
        "entry": [{"fullUrl": f"{BASE}{r['resourceType']}/{r['id']}", "resource": r}
                  for r in resources],
    }


def file_name(received_header: str, code: str) -> str:
    return f"kvittering-{received_header}-{code}.json"
