"""Offline PII scan (issue 9): targets on the labelled corpus, validators, redaction."""

from __future__ import annotations

from bench.pii import CORPUS, HELDOUT, evaluate, load_corpus
from core.pii import redact, scan, snils_is_valid


def test_corpus_is_big_enough_and_bilingual() -> None:
    corpus = load_corpus()
    assert len(corpus) >= 100
    cyrillic = [c for c in corpus if any("а" <= ch <= "я" for ch in c["text"].lower())]
    assert len(cyrillic) >= 30 and len(corpus) - len(cyrillic) >= 30
    assert sum(1 for c in corpus if not c["pii"]) >= 40  # hard negatives


def test_recall_and_precision_targets_on_every_part() -> None:
    for paths in ((CORPUS,), (HELDOUT,), ()):
        tallies = evaluate(load_corpus(*paths))
        for kind in ("email", "phone", "card"):
            assert tallies[kind].recall >= 0.95, (paths, kind, tallies[kind])
            assert tallies[kind].precision >= 0.9, (paths, kind, tallies[kind])
        for kind in ("iban", "inn", "snils", "passport"):
            assert tallies[kind].tp > 0, kind


def test_checksums_decide() -> None:
    assert [m.kind for m in scan("card 4111 1111 1111 1111")] == ["card"]
    assert scan("card 4111 1111 1111 1112") == []  # fails Luhn
    assert [m.kind for m in scan("ИНН 7707083893")] == ["inn"]
    assert scan("ИНН 7707083894") == []  # wrong check digit, and not read as a phone either
    assert snils_is_valid("112-233-445 95") and not snils_is_valid("112-233-445 96")
    assert [m.kind for m in scan("IBAN DE89 3704 0044 0532 0130 00")] == ["iban"]
    assert scan("IBAN DE88 3704 0044 0532 0130 00") == []


def test_redact_replaces_each_value_with_its_kind() -> None:
    text = "Write ivan@example.com or call +7 916 123 45 67."
    assert redact(text, scan(text)) == "Write [email removed] or call [phone removed]."
    masked = [m.masked() for m in scan(text)]
    assert masked == ["i***@example.com", "***67"]
