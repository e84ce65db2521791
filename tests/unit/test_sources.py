"""issue 17: sources in every format, the hostile corpus, chunks and retrieval."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from core.auth import Role
from core.db import session_scope
from core.errors import AppError, Code
from core.models import Source, SourceChunk
from core.schemas import CourseParams
from core.services import sources as source_svc
from core.services.courses import create_course
from core.settings import reset_settings
from core.sources import chunking
from core.sources.convert import convert
from core.sources.retrieval import Index
from tests import source_files as sf
from tests.actors import ADMIN, person

HTML = (
    b"<!doctype html><html><head><style>p{color:red}</style><script>steal(document.cookie)</script>"
    b"</head><body><h1>Leave policy</h1><p onclick='evil()'>Every employee has 28 days of leave."
    b"</p><iframe src='https://x.example'></iframe><a href='javascript:evil()'>link</a></body></html>"
)


@pytest.mark.parametrize(
    ("maker", "kind", "pages"),
    [
        (sf.markdown, "markdown", 0),
        (sf.docx, "docx", None),
        (sf.pptx, "pptx", 4),
        (sf.pdf, "pdf", 4),
    ],
)
def test_each_format_becomes_markdown_with_its_facts(maker, kind, pages) -> None:
    data = maker()
    got = convert(data, "handbook.bin")  # the name says nothing: the bytes decide
    assert got.kind == kind
    assert got.language == "en"
    assert got.size_bytes == len(data) and got.checksum.startswith("sha256:")
    if pages is not None:
        assert got.page_count == pages
    text = " ".join(got.text_md.split())
    assert "28 calendar days of paid annual leave" in text
    assert "Annual leave" in text and "Remote work" in text


def test_html_loses_scripts_styles_and_handlers() -> None:
    got = convert(HTML, "page.html")
    assert got.kind == "html"
    assert "# Leave policy" in got.text_md and "28 days of leave" in got.text_md
    for bad in ("steal", "cookie", "color:red", "evil", "iframe", "javascript:"):
        assert bad not in got.text_md
    assert [w["code"] for w in got.warnings] == ["scripts"]


def test_russian_text_is_detected_and_sniffed_as_markdown() -> None:
    got = convert(sf.markdown(sf.SECTIONS_RU, "Справочник"), "")
    assert (got.kind, got.language) == ("markdown", "ru")
    plain = convert("просто текст без разметки, но достаточно длинный".encode(), "notes.txt")
    assert (plain.kind, plain.language) == ("text", "ru")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n ", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "PNG image"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 50, "old Office file"),
        (b"\x01\x02\x00\x00binary", "binary"),
    ],
)
def test_unsupported_and_empty_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(AppError) as err:
        convert(data, "handbook.pdf")  # a lying extension changes nothing
    assert err.value.code == Code.SOURCE_REFUSED and message in err.value.message


def test_hostile_pdfs() -> None:
    scanned = sf.blank_pdf(3)
    with pytest.raises(AppError, match="no text layer"):
        convert(scanned)
    with pytest.raises(AppError, match="encrypted with a password"):
        convert(sf.encrypted_pdf())
    with pytest.raises(AppError, match="damaged"):
        convert(sf.pdf()[:400])
    # JavaScript is never run: the text is read and the author is told.
    js = convert(sf.pdf(javascript=True))
    assert "Annual leave" in js.text_md and [w["code"] for w in js.warnings] == ["javascript"]
    assert "pwned" not in js.text_md


def test_a_5000_page_pdf_is_refused_by_its_page_count(monkeypatch) -> None:
    data = sf.blank_pdf(5000)
    with pytest.raises(AppError, match="5000 pages; the limit is 1000"):
        convert(data)


def test_a_zip_bomb_disguised_as_docx_is_refused_without_inflating() -> None:
    bomb = sf.zip_bomb_docx()
    assert len(bomb) < 2 * 1024 * 1024  # small on disk, 260 MB inflated
    with pytest.raises(AppError) as err:
        convert(bomb, "handbook.docx")
    assert err.value.code == Code.SOURCE_REFUSED and "200 MB" in err.value.message


def test_a_file_over_the_size_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_MAX_FILE_MB", "0.001")
    reset_settings()
    with pytest.raises(AppError, match=r"limit is 0\.001 MB per file"):
        convert(sf.docx())


def test_chunks_have_stable_ids_and_follow_headings_and_pages() -> None:
    got = convert(sf.pdf())
    first = chunking.split(got.text_md, got.checksum, paged=True)
    again = chunking.split(convert(sf.pdf()).text_md, got.checksum, paged=True)
    assert [c.key for c in first] == [c.key for c in again]
    assert [c.page for c in first] == [1, 2, 3, 4]
    assert [c.heading for c in first] == [h for h, _ in sf.SECTIONS_EN]
    md = convert(sf.markdown())
    chunks = chunking.split(md.text_md, md.checksum, paged=False)
    assert [c.heading for c in chunks][-4:] == [h for h, _ in sf.SECTIONS_EN]
    assert all(len(c.key) <= 40 and c.key.startswith("S") for c in chunks)


def test_bm25_retrieval_in_english_and_russian() -> None:
    md = convert(sf.markdown())
    index = Index.build(chunking.split(md.text_md, md.checksum, paged=False))
    assert index.search("How to claim taxi expenses", 1)[0].heading == "Expense claims"
    assert index.search("passwords and a lost laptop", 1)[0].heading == "Security basics"
    assert index.search("xyzzy", 3) == []
    ru = convert(sf.markdown(sf.SECTIONS_RU, "Справочник"))
    index = Index.build(chunking.split(ru.text_md, ru.checksum, paged=False))
    # Inflected forms match through the Russian stemmer: "отпуска" / "отпуск".
    assert index.search("Заявления на отпуска", 1)[0].heading == "Ежегодный отпуск"
    assert index.search("возмещение расходов на такси", 1)[0].heading == "Командировочные расходы"


def _course() -> int:
    params = CourseParams(
        topic="Staff handbook", module_count=2, lessons_per_module=2, total_duration_minutes=60
    )
    with session_scope() as session:
        return int(create_course(session, actor=ADMIN, params=params).id or 0)


def test_sources_are_stored_with_chunks_and_refusals_store_nothing(any_db: str, monkeypatch) -> None:
    course_id = _course()
    handbook = sf.pdf()
    with session_scope() as session:
        source = source_svc.add_source(
            session, actor=ADMIN, course_id=course_id, filename="h.pdf", data=handbook
        )
        assert (source.kind, source.page_count, source.language) == ("pdf", 4, "en")
        source_svc.add_text(
            session, actor=ADMIN, course_id=course_id, title="Notes", text="# Notes\n\nPaste works too."
        )
    with session_scope() as session:
        assert len(source_svc.list_sources(session, course_id)) == 2
        assert len(source_svc.course_chunks(session, course_id)) == 5
    # The same file twice, a hostile file, a viewer: each refused, nothing written.
    for actor, data, code in (
        (ADMIN, handbook, Code.SOURCE_REFUSED),
        (ADMIN, sf.zip_bomb_docx(), Code.SOURCE_REFUSED),
        (person("ana", Role.analyst), sf.docx(), Code.AUTH_FORBIDDEN),
    ):
        with pytest.raises(AppError) as err, session_scope() as session:
            source_svc.add_source(session, actor=actor, course_id=course_id, filename="x", data=data)
        assert err.value.code == code
    monkeypatch.setenv("SOURCE_MAX_TOTAL_MB", "0.01")
    reset_settings()
    with pytest.raises(AppError, match=r"limit is 0\.01 MB per course"), session_scope() as session:
        source_svc.add_source(session, actor=ADMIN, course_id=course_id, filename="d.docx", data=sf.docx())
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Source)).one() == 2
        assert session.exec(select(func.count()).select_from(SourceChunk)).one() == 5
        source_svc.delete_source(session, actor=ADMIN, source_id=int(source.id or 0))
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(SourceChunk)).one() == 1


def test_the_same_file_uploaded_twice_at_once_is_stored_once(any_db: str) -> None:
    """Two people add the same handbook at the same moment (real threads; on PostgreSQL):
    one source, one clear refusal (also on SQLite, which serializes the writers)."""
    import threading

    course_id = _course()
    data = sf.docx()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add() -> None:
        barrier.wait()
        try:
            with session_scope() as session:
                source_svc.add_source(session, actor=ADMIN, course_id=course_id, filename="h.docx", data=data)
            outcomes.append("stored")
        except AppError as exc:
            outcomes.append(exc.details["reason"] if isinstance(exc.details, dict) else exc.code)

    threads = [threading.Thread(target=add) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["duplicate", "stored"]
    with session_scope() as session:
        assert len(source_svc.list_sources(session, course_id)) == 1
        assert len(source_svc.course_chunks(session, course_id)) == 4
