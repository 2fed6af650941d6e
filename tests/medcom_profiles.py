"""Check a FHIR message against MedCom's own profiles, read from their FSH sources.

The profiles are vendored in tests/fixtures/medcom (see its README). From each profile
in a resource's meta.profile, and the profiles it is derived from, this takes:
- the invariants it obeys (`* obeys X`, `* path obeys X`), evaluated with fhirpathpy on
  the R4 model, with resolve() and conformsTo() answered from the bundle;
- lower cardinalities of plain paths (`* code.coding.system 1..`): where the parent is
  there, the element must be;
- fixed codes (`* status = #unknown`);
- the narrative content (`* insert ProducerShallPutInNarrative(path)`): every value at
  that path must be written in the resource's text.div.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fhirpathpy import evaluate
from fhirpathpy.models import models

FIXTURES = Path(__file__).parent / "fixtures" / "medcom"
# extension slice names used in the profiles -> the extension url's last part
EXTENSION_SLICES = {"date": "medcom-core-datetime-extension",
                    "author": "medcom-core-practitioner-extension",
                    "authorContact": "medcom-core-contact-extension",
                    "identifier": "medcom-core-identifier-extension",
                    "sender": "medcom-core-sender-extension"}


@dataclass
class Profile:
    name: str
    id: str = ""
    parent: str = ""
    rules: list[str] = field(default_factory=list)


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


@lru_cache(maxsize=1)
def load() -> tuple[dict[str, Profile], dict[str, str]]:
    """(profiles by id and by name, invariant expressions by name) from the vendored FSH."""
    profiles: dict[str, Profile] = {}
    invariants: dict[str, str] = {}
    for path in sorted(FIXTURES.rglob("*.fsh")):
        text = _strip_comments(path.read_text(encoding="utf-8"))
        for block in re.split(r"\n(?=(?:Profile|Invariant|Instance|Extension|Alias|ValueSet|"
                              r"CodeSystem|RuleSet|Logical|Mapping):)", "\n" + text):
            block = block.strip()
            if block.startswith("Profile:"):
                p = Profile(block.split("\n", 1)[0].split(":", 1)[1].strip())
                for line in block.splitlines()[1:]:
                    if line.startswith("Id:"):
                        p.id = line.split(":", 1)[1].strip()
                    elif line.startswith("Parent:"):
                        p.parent = line.split(":", 1)[1].strip()
                    elif line.startswith("*"):
                        p.rules.append(line[1:].strip())
                profiles[p.id] = profiles[p.name] = p
            elif block.startswith("Invariant:"):
                name = block.split("\n", 1)[0].split(":", 1)[1].strip()
                match = re.search(r'Expression:\s*"(.*?)"\s*(?:\n[A-Z][a-zA-Z]*:|$)', block, re.S)
                severity = re.search(r"Severity:\s*#(\w+)", block)
                if match and (severity is None or severity.group(1) == "error"):
                    invariants[name] = " ".join(match.group(1).split())
    return profiles, invariants


def chain(profile_url: str) -> list[Profile]:
    profiles, _ = load()
    out, key = [], profile_url.rsplit("/", 1)[-1]
    while key in profiles and profiles[key] not in out:
        out.append(profiles[key])
        key = profiles[key].parent.rsplit("/", 1)[-1]
    return out


def _data(node: Any) -> Any:
    return getattr(node, "data", node)


def _eval(resource: dict, expression: str, bundle: dict) -> list:
    index = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
             for e in bundle.get("entry", [])}
    index.update({e["fullUrl"]: e["resource"] for e in bundle.get("entry", [])})

    def resolve(inputs):
        out = []
        for item in inputs:
            item = _data(item)
            ref = item.get("reference") if isinstance(item, dict) else item
            if ref in index:
                out.append(index[ref])
        return out

    def conforms_to(inputs, url):
        return [any(p.id == url.rsplit("/", 1)[-1] for prof in _data(r).get("meta", {}).get("profile", [])
                    for p in chain(prof)) for r in inputs]

    table = {"resolve": {"fn": resolve, "arity": {0: []}},
             "conformsTo": {"fn": conforms_to, "arity": {1: ["String"]}}}
    if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
        expression = re.sub(r"\bBundle\.", "", expression)
    return evaluate(resource, expression, {"resource": resource}, models["r4"],
                    {"userInvocationTable": table})


def _simple(path: str) -> str | None:
    """A path as FHIRPath, or None when this checker does not follow it."""
    if "^" in path or "contains" in path:
        return None
    parts = []
    for part in path.split("."):
        m = re.fullmatch(r"(\w+)(?:\[(\w+|x)\])?", part)
        if not m:
            return None
        name, slice_ = m.groups()
        if name == "extension" and slice_:
            if slice_ not in EXTENSION_SLICES:
                return None
            parts.append(f"extension.where(url.endsWith('{EXTENSION_SLICES[slice_]}')).value")
        elif slice_ == "x":
            parts.append(name)
        elif name == "content" and not slice_:
            parts.append("content")
        else:
            parts.append(name)  # a slice counts as all its elements
    return ".".join(parts)


def _texts(value: Any) -> list[str]:
    value = _data(value)
    if isinstance(value, dict):
        if "reference" in value:
            return [value["reference"]]
        out = []
        for key in ("value", "code", "display", "text", "name"):
            if isinstance(value.get(key), str):
                out.append(value[key])
        return out
    return [str(value).lower() if isinstance(value, bool) else str(value)]


def problems(bundle: dict) -> list[str]:
    """Every breach of the MedCom profiles the bundle's resources claim."""
    _, invariants = load()
    out: list[str] = []
    targets = [bundle] + [e["resource"] for e in bundle.get("entry", [])]
    for resource in targets:
        label = f"{resource.get('resourceType')}/{resource.get('id')}"
        div = html.unescape(re.sub(r"<[^>]+>", " ", (resource.get("text") or {}).get("div", "")))
        for url in resource.get("meta", {}).get("profile", []):
            profs = chain(url)
            if not profs:
                out.append(f"{label}: unknown profile {url}")
            for prof in profs:
                for rule in prof.rules:
                    out.extend(f"{label} ({prof.id}): {p}" for p in _check(rule, resource, bundle,
                                                                          div, invariants))
    return out


def _check(rule: str, resource: dict, bundle: dict, div: str, invariants: dict) -> list[str]:
    m = re.fullmatch(r"(?:(\S+) )?obeys ([\w-]+)", rule)
    if m:
        path, name = m.groups()
        if name not in invariants:
            return []
        expr = invariants[name]
        if path:
            simple = _simple(path)
            if simple is None:
                return []
            items = _eval(resource, simple, bundle)
            bad = [i for i in items if _eval(_data(i), expr, bundle) != [True]]
            return [f"{name} fails on {path}"] if bad else []
        return [] if _eval(resource, expr, bundle) == [True] else [f"{name} fails: {expr}"]
    m = re.fullmatch(r"insert ProducerShallPutInNarrative\((.+)\)", rule)
    if m:
        simple = _simple(m.group(1))
        if simple is None:
            return []
        missing = []
        for value in _eval(resource, simple, bundle):
            for text in _texts(value):
                for line in text.splitlines():
                    if line.strip() and line.strip() not in div:
                        missing.append(f"narrative lacks {m.group(1)}: {line.strip()[:60]!r}")
        return missing
    m = re.fullmatch(r"(\S+) (\d+)\.\.(\d+|\*)?(?: MS)?", rule)
    if m and int(m.group(2)) >= 1:
        simple = _simple(m.group(1))
        if simple is None or "[" in m.group(1):
            return []
        parent, _, leaf = simple.rpartition(".")
        holders = [_data(x) for x in _eval(resource, parent, bundle)] if parent else [resource]
        lacking = [h for h in holders if isinstance(h, dict) and not _eval(h, leaf, bundle)]
        return [f"{m.group(1)} is required"] if lacking else []
    m = re.fullmatch(r"(\S+) = #([\w.-]+)", rule)
    if m and "[" not in m.group(1):
        simple = _simple(m.group(1))
        values = [_data(v) for v in _eval(resource, simple, bundle)] if simple else []
        return [f"{m.group(1)} must be {m.group(2)}, is {values}"] if values and any(
            v != m.group(2) for v in values) else []
    return []
