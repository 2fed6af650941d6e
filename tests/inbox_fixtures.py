"""Received MedCom messages for the inbox tests: MedCom's own examples (tests/medcom_examples)
and variants of them with new identities."""
from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import medcom_examples

# MedCom's example patient (public test CPR number, fails mod-11 on purpose)
EXAMPLE_CPR = "2509479989"


def example(which: str = medcom_examples.NEW) -> dict:
    return medcom_examples.message(which)


def with_new_identity(bundle: dict, seed: str | None = None) -> dict:
    """The same message as a new one: new bundle and MessageHeader ids (and Provenance target)."""
    b = copy.deepcopy(bundle)
    seed = seed or uuid.uuid4().hex
    old = b["entry"][0]["resource"]["id"]
    new = str(uuid.uuid5(uuid.NAMESPACE_URL, "hdr" + seed))
    b["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, "bnd" + seed))
    text = json.dumps(b).replace(old, new)
    return json.loads(text)


def header_id(bundle: dict) -> str:
    return bundle["entry"][0]["resource"]["id"]


def resource(bundle: dict, kind: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def drop(folder: Path, name: str, bundle: dict | bytes | str) -> Path:
    path = folder / name
    if isinstance(bundle, dict):
        bundle = json.dumps(bundle, ensure_ascii=False)
    path.write_bytes(bundle.encode("utf-8") if isinstance(bundle, str) else bundle)
    return path


def answer(letter, org, code, reason=""):
    """The receiver's acknowledgement of the letter's message."""
    from tui.domain import acknowledgement
    from tui.domain.medcom_in import Parsed, Party

    from helpers import CLINIC

    received = Parsed(event="care-communication-message", bundle_id="", timestamp=None,
                      header_id=letter.message_ids["header"],
                      sender=Party(CLINIC["name"], CLINIC["sor"], CLINIC["ean"],
                                   f"https://sor2.sum.dsdn.dk/#id={CLINIC['sor']}"),
                      receiver=Party(org.name, org.sor, org.ean))
    return acknowledgement.build(received, code, reason, {"name": org.name, "sor": org.sor, "ean": org.ean})
