"""Offline PII scan: e-mails, phone numbers, payment cards, IBANs, Russian INN, SNILS and
passport numbers, in English and Russian text.

Why not Presidio: its analyzer needs a spaCy pipeline and model machinery for every call,
and ships no recognizer for INN, SNILS or Russian passports, so the part that matters
here would be our own patterns anyway. What makes a scanner precise is the validation
behind each pattern, and that comes from two well-kept libraries: ``phonenumbers``
(Google's libphonenumber metadata: real number plans per country, date and timestamp
rejection) and ``python-stdnum`` (Luhn, IBAN mod-97, INN check digits).
``bench/pii.py`` prints recall and precision per kind on tests/fixtures/pii_corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.ru import inn as stdnum_inn

KINDS = ("email", "phone", "card", "iban", "inn", "snils", "passport")


@dataclass(frozen=True)
class Match:
    kind: str
    start: int
    end: int
    text: str

    def masked(self) -> str:
        """A hint of what was found that does not repeat the value (kept in findings)."""
        digits = re.sub(r"\D", "", self.text)
        if self.kind == "email":
            local, _, domain = self.text.partition("@")
            return f"{local[:1]}***@{domain}"
        return f"***{digits[-2:]}" if len(digits) >= 4 else "***"


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])"
    r"|(?<![\w.+-])[\w.+-]{1,64}@(?:[\w-]+\.)+[^\W\d_]{2,24}(?![\w-])",
    re.UNICODE,
)
# 13-19 digits, optionally grouped by single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_DIGITS_10_12 = re.compile(r"(?<![\d-])(\d{12}|\d{10})(?![\d-])")
_SNILS_FORMATTED = re.compile(r"(?<!\d)\d{3}-\d{3}-\d{3}[ -]\d{2}(?!\d)")
_SNILS_PLAIN = re.compile(r"(?<![\d-])\d{11}(?![\d-])")
_PASSPORT = re.compile(r"(?<![\d-])\d{2} ?\d{2} ?(?:(?:№|No\.?|N|номер)\s?)?\d{6}(?![\d-])", re.I)

# Words that announce a number of a given kind, in English and Russian, up to ~40
# characters before it. INN, plain SNILS and passports have no self-evident format.
_CONTEXT = {
    "inn": re.compile(r"(\bИНН\b|\bINN\b|\bTIN\b|taxpayer|налогоплательщик)", re.I),
    "snils": re.compile(r"(СНИЛС|SNILS|страхов\w* номер|insurance (account )?number)", re.I),
    "passport": re.compile(r"(паспорт|passport|серия)", re.I),
}
_CONTEXT_WINDOW = 40
# Phone parsing regions: Russian national formats (8 916 ..., (495) ...) and, for numbers
# written without a country code, US/UK formats; "+" numbers parse in any region.
_PHONE_REGIONS = ("RU", "US", "GB")
_CARD_PREFIX = re.compile(r"^[2-6]")  # Mir 2, Amex 3, Visa 4, Mastercard 2/5, Maestro/UnionPay 6


def _context_before(text: str, start: int, kind: str) -> bool:
    window = text[max(0, start - _CONTEXT_WINDOW) : start]
    return bool(_CONTEXT[kind].search(window))


def snils_is_valid(number: str) -> bool:
    """SNILS check digits (Pension Fund of Russia rule): weights 9..1 over the first nine
    digits; sum < 100 is the check, 100/101 give 00, else sum mod 101 (100 -> 00)."""
    digits = re.sub(r"\D", "", number)
    if len(digits) != 11:
        return False
    body, check = digits[:9], int(digits[9:])
    if int(body) <= 1001998:  # numbers up to 001-001-998 carry no check digits
        return False
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    if total > 101:
        total %= 101
    expected = 0 if total in (100, 101) else total
    return expected == check


def _emails(text: str) -> Iterable[Match]:
    for m in _EMAIL.finditer(text):
        yield Match("email", m.start(), m.end(), m.group())


def _cards(text: str) -> Iterable[Match]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn.is_valid(digits):
            yield Match("card", m.start(), m.end(), m.group())


def _ibans(text: str) -> Iterable[Match]:
    for m in _IBAN.finditer(text):
        if stdnum_iban.is_valid(m.group()):
            yield Match("iban", m.start(), m.end(), m.group())


def _inns(text: str) -> Iterable[Match]:
    for m in _DIGITS_10_12.finditer(text):
        if stdnum_inn.is_valid(m.group()) and _context_before(text, m.start(), "inn"):
            yield Match("inn", m.start(), m.end(), m.group())


def _snils(text: str) -> Iterable[Match]:
    for m in _SNILS_FORMATTED.finditer(text):
        if snils_is_valid(m.group()):
            yield Match("snils", m.start(), m.end(), m.group())
    for m in _SNILS_PLAIN.finditer(text):
        if snils_is_valid(m.group()) and _context_before(text, m.start(), "snils"):
            yield Match("snils", m.start(), m.end(), m.group())


def _passports(text: str) -> Iterable[Match]:
    for m in _PASSPORT.finditer(text):
        if _context_before(text, m.start(), "passport"):
            yield Match("passport", m.start(), m.end(), m.group())


# Labels that name a number as something other than a phone (tax and bank codes, orders,
# invoices, parts); a phone reading of the number right after one is wrong.
_NOT_PHONE_LABEL = re.compile(
    r"(\bИНН|\bINN\b|\bTIN\b|СНИЛС|SNILS|ОГРН|\bБИК|\bBIC\b|\bКПП|сч[её]т|account|invoice|"
    r"order|заказ|договор|артикул|\bpart\b|\bSKU\b|\bID\b|ISBN)",
    re.I,
)


def _labelled_as_other(text: str, start: int) -> bool:
    """True when the nearest label before the number (with no other digits between)
    says it is not a phone, or the number is glued to a word ("INV-2024-000123")."""
    if start and (text[start - 1].isalnum() or text[start - 1] in "-/#№_"):
        return True
    window = text[max(0, start - _CONTEXT_WINDOW) : start]
    labels = list(_NOT_PHONE_LABEL.finditer(window))
    return bool(labels) and not re.search(r"\d", window[labels[-1].end() :])


def _phones(text: str) -> Iterable[Match]:
    seen: set[tuple[int, int]] = set()
    for region in _PHONE_REGIONS:
        matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
        for m in matcher:
            span = (m.start, m.end)
            if span in seen:
                continue
            seen.add(span)
            if _labelled_as_other(text, m.start):
                continue
            yield Match("phone", m.start, m.end, m.raw_string)


# Checksum-validated kinds win over a phone reading of the same digits.
_DETECTORS = (_emails, _cards, _ibans, _snils, _inns, _passports, _phones)


def scan(text: str) -> list[Match]:
    """Every PII match in a text, without overlaps, in text order."""
    if not text:
        return []
    taken: list[Match] = []
    for detector in _DETECTORS:
        for match in detector(text):
            if any(match.start < t.end and t.start < match.end for t in taken):
                continue
            taken.append(match)
    return sorted(taken, key=lambda m: m.start)


def redact(text: str, matches: Iterable[Match]) -> str:
    """The text with each match replaced by a placeholder naming its kind."""
    out, pos = [], 0
    for m in sorted(matches, key=lambda m: m.start):
        out += [text[pos : m.start], f"[{m.kind} removed]"]
        pos = m.end
    out.append(text[pos:])
    return "".join(out)
