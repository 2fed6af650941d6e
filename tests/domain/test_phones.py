"""Phone numbers: normalization to E.164 and Danish display."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from tui.domain.phones import format_phone, is_danish, normalize_phone


@pytest.mark.parametrize(
    "text, e164",
    [
        ("12 34 56 78", "+4512345678"),
        ("12345678", "+4512345678"),
        ("+45 12345678", "+4512345678"),
        ("+45 12 34 56 78", "+4512345678"),
        ("004512345678", "+4512345678"),
        ("0045 12 34 56 78", "+4512345678"),
        ("sip:+4512345678@pbx", "+4512345678"),
        ("sip:12345678@10.0.0.1", "+4512345678"),
        ("SIP:12345678@10.0.0.1:5060", "+4512345678"),
        ("sips:+4512345678@pbx.example.dk;user=phone", "+4512345678"),
        ("tel:+4512345678", "+4512345678"),
        ('"Jens Hansen" <sip:+4512345678@pbx>', "+4512345678"),
        ("sip:%2B4512345678@pbx", "+4512345678"),
        ("12-34-56-78", "+4512345678"),
        ("(+45) 1234 5678", "+4512345678"),
        ("  87 65 43 21  ", "+4587654321"),
        # foreign numbers stay in E.164
        ("+46 70 123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
        ("+1 650 253 0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("sip:+4915112345678@pbx", "+4915112345678"),
        ("+49 151 12345678", "+4915112345678"),
    ],
)
def test_normalize_phone(text, e164):
    assert normalize_phone(text) == e164


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "Skriv"),
        ("   ", "Skriv"),
        ("1234", "for kort"),
        ("1234567", "for kort"),
        ("123456789", "for langt"),
        ("+45 1234", "for kort"),
        ("+45 123456789", "for langt"),
        ("01234567", "begynder ikke med 0"),
        ("abc", "cifre"),
        ("12 34 ab 78", "cifre"),
        ("1-800-FLOWERS", "cifre"),
        ("+999 1234567", "landekode"),
        ("sip:pbx", "telefonnummeret"),
        ("+", "telefonnummeret"),
        ("#!", "telefonnummeret"),
        ("+46 1", "for kort"),
        ("+1 650 253 0000 0000 0000", "for langt"),
    ],
)
def test_normalize_phone_refuses(text, fragment):
    with pytest.raises(ValueError) as info:
        normalize_phone(text)
    assert fragment.lower() in str(info.value).lower()


@pytest.mark.parametrize(
    "e164, shown",
    [
        ("+4512345678", "12 34 56 78"),
        ("+4587654321", "87 65 43 21"),
        ("+46701234567", "+46 70 123 45 67"),
        ("+442079460958", "+44 20 7946 0958"),
        ("12345678", "12 34 56 78"),  # not yet normalized: normalized first
        ("ukendt", "ukendt"),  # never raises
        ("", ""),
    ],
)
def test_format_phone(e164, shown):
    assert format_phone(e164) == shown


def test_is_danish():
    assert is_danish("+4512345678")
    assert not is_danish("+46701234567")


@settings(max_examples=300, deadline=None)
@given(st.integers(10_000_000, 99_999_999))
def test_every_danish_number_round_trips(n):
    e164 = f"+45{n}"
    shown = format_phone(e164)
    assert len(shown) == 11 and shown.replace(" ", "") == str(n)
    assert normalize_phone(shown) == e164
    assert normalize_phone(f"sip:{n}@10.0.0.1") == e164
    assert normalize_phone(f"0045{n}") == e164


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_normalize_raises_only_value_error(text):
    try:
        out = normalize_phone(text)
    except ValueError:
        return
    assert out.startswith("+") and out[1:].isdigit()
    format_phone(out)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+ -()sip:@.", max_size=30))
def test_normalize_near_misses_raise_only_value_error(text):
    try:
        normalize_phone(text)
    except ValueError:
        pass


@pytest.mark.parametrize(
    "e164, shown",
    [
        ("+4670123456", "+46 70 12 34 56"),  # a range the library has no pattern for
        ("+298123456", "+298 12 34 56"),  # Faroe Islands: six digits in pairs
        ("+299123456", "+299 12 34 56"),  # Greenland
        ("+4791234567", "+47 91 23 45 67"),
    ],
)
def test_foreign_numbers_are_grouped_like_danish_ones(e164, shown):
    assert format_phone(e164) == shown


_FOREIGN = st.sampled_from(["1", "44", "46", "47", "49", "298", "299", "354", "358", "48", "31"])


@given(_FOREIGN, st.integers(1_000, 99_999_999_999))
def test_every_foreign_number_is_shown_in_short_groups_and_reads_back(cc, n):
    """Whatever the library knows of the country's ranges: "+CC" then groups of at most
    four digits, and the shown text typed back is the same number."""
    try:
        e164 = normalize_phone(f"+{cc}{n}")
    except ValueError:
        return
    shown = format_phone(e164)
    head, *groups = shown.split(" ")
    assert head == f"+{cc}", shown
    assert groups and all(g.isdigit() and len(g) <= 4 for g in groups), shown
    assert normalize_phone(shown) == e164
