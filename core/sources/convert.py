"""Uploaded documents to Markdown: sniffed by content, refused whole past a limit.

One converter per format, each a maintained library that reads only text: pypdf (pure
Python; gives the page count, the encryption flag and per-page text, never runs a PDF's
JavaScript), python-docx and python-pptx (the Office formats; python-pptx is already the
export library), and nh3 (the Rust ammonia sanitizer, already used for the UI) followed by
markdownify for HTML, so scripts and styles are dropped with their content before any
conversion. markitdown was considered: it wraps the same kind of libraries but pulls in
magika and onnxruntime for type detection, which we do from magic bytes instead.

Every refusal is an AppError(SOURCE_REFUSED) whose message says what to do; a refused
file leaves nothing behind (the caller stores only a converted result).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field

from core.errors import AppError, Code
from core.safe_input import check_zip
from core.settings import get_settings

KINDS = ("pdf", "docx", "pptx", "html", "markdown", "text")
PAGE_BREAK = "\f"  # between PDF pages and PPTX slides in text_md; the chunker splits on it

_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_MD_HINT = re.compile(r"^(?:#{1,6}\s+\S|\s*[-*+]\s+\S|\s*\d+\.\s+\S|```)", re.M)
# Signatures of binary formats we do not read, to say what the file is rather than "binary".
_OTHER_BINARIES = {
    b"\xd0\xcf\x11\xe0": "an old Office file (.doc/.ppt/.xls); save it as .docx or .pptx",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"{\\rtf": "an RTF document; save it as .docx",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7z archive",
}


def refuse(message: str, reason: str = "unreadable", **values: object) -> AppError:
    """The English message for logs and jobs; `reason` and `values` let the UI say it in
    the person's language (catalog key src_refused_<reason>)."""
    return AppError(Code.SOURCE_REFUSED, message, details={"reason": reason, **values})


def warning(code: str, message: str, **values: object) -> dict[str, object]:
    """A note kept with the source: `code` picks the UI text (src_warn_<code>), the English
    message is for logs and exports."""
    return {"code": code, "message": message, **values}


@dataclass
class Converted:
    kind: str
    text_md: str
    checksum: str
    size_bytes: int
    page_count: int = 0
    language: str = ""
    warnings: list[dict[str, object]] = field(default_factory=list)


def checksum(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sniff(data: bytes, filename: str = "") -> str:
    """The document kind from its bytes; the name only tells Markdown from plain text."""
    if not data.strip():
        raise refuse("the file is empty", "empty")
    head = data[:1024]
    # PDF readers accept the header anywhere in the first kilobyte (ISO 32000-1, 7.5.2 note).
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            check_zip(data, what="the file")  # a zip bomb is refused on its directory, never inflated
        except AppError as exc:
            raise refuse(exc.message, "archive_limit") from exc
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        if "word/document.xml" in names:
            return "docx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        raise refuse(
            "the file is a ZIP archive but not a Word (.docx) or PowerPoint (.pptx) document", "unsupported"
        )
    for magic, what in _OTHER_BINARIES.items():
        if data.startswith(magic):
            raise refuse(f"unsupported type: the file is {what}", "unsupported")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise refuse("unsupported type: the file is binary, not a document or text", "unsupported")
    if _HTML_START.match(data[:4096]):
        return "html"
    text = _decode(data)[0]
    if filename.lower().endswith((".md", ".markdown")) or _MD_HINT.search(text[:20000]):
        return "markdown"
    if filename.lower().endswith((".html", ".htm")) and re.search(r"<(p|div|h[1-6]|ul|table)\b", text, re.I):
        return "html"
    return "text"


def _decode(data: bytes) -> tuple[str, list[dict[str, object]]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        # Russian text files from older Windows tools are often cp1251.
        return data.decode("cp1251", errors="replace"), [
            warning("cp1251", "the text was not UTF-8; read as Windows-1251")
        ]


def detect_language(text: str) -> str:
    """ru or en by the share of Cyrillic letters; "" with too few letters to tell.
    Only the course languages are told apart (a heuristic, not a language model)."""
    sample = text[:50000]
    cyr = len(re.findall(r"[а-яёА-ЯЁ]", sample))
    lat = len(re.findall(r"[a-zA-Z]", sample))
    if cyr + lat < 20:
        return ""
    return "ru" if cyr >= lat else "en"


def convert(data: bytes, filename: str = "") -> Converted:
    """Sniff, check the limits, convert. Raises AppError(SOURCE_REFUSED) with the reason."""
    settings = get_settings()
    limit = int(settings.SOURCE_MAX_FILE_MB * 1024 * 1024)
    if len(data) > limit:
        raise refuse(
            f"the file is {len(data) / 1048576:.1f} MB; the limit is {settings.SOURCE_MAX_FILE_MB:g} MB per file",
            "file_size",
            size=f"{len(data) / 1048576:.1f}",
            limit=f"{settings.SOURCE_MAX_FILE_MB:g}",
        )
    kind = sniff(data, filename)
    warnings: list[dict[str, object]] = []
    pages = 0
    if kind == "pdf":
        text, pages, warnings = _pdf(data, settings.SOURCE_MAX_PAGES)
    elif kind == "docx":
        text, pages = _docx(data)
    elif kind == "pptx":
        text, pages = _pptx(data, settings.SOURCE_MAX_PAGES)
    else:
        text, warnings = _decode(data)
        if kind == "html":
            text, html_warnings = html_to_markdown(text)
            warnings += html_warnings
    text = _tidy(text)
    if not text.replace(PAGE_BREAK, "").strip():
        if kind == "pdf":
            raise refuse(
                "no text could be read: the PDF has no text layer (a scan?); run OCR on it first",
                "no_text_layer",
            )
        raise refuse("no text could be read from the file: it is empty", "empty")
    return Converted(
        kind=kind,
        text_md=text,
        checksum=checksum(data),
        size_bytes=len(data),
        page_count=pages,
        language=detect_language(text),
        warnings=warnings,
    )


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ------------------------------------------------------------------ PDF


def _pdf(data: bytes, max_pages: int) -> tuple[str, int, list[dict[str, object]]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    warnings: list[dict[str, object]] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are encrypted with an empty user password (only editing is locked).
            if not reader.decrypt(""):
                raise refuse(
                    "the PDF is encrypted with a password; remove the password and upload it again",
                    "encrypted",
                )
            warnings.append(
                warning(
                    "encrypted_open", "the PDF is encrypted without a password to open it; its text was read"
                )
            )
        count = len(reader.pages)
    except AppError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise refuse(f"the PDF is damaged and cannot be read ({type(exc).__name__})", "damaged") from exc
    except Exception as exc:  # pypdf raises many kinds on hostile input (e.g. missing crypto deps)
        raise refuse(f"the PDF cannot be read ({type(exc).__name__}: {str(exc)[:120]})", "damaged") from exc
    if count > max_pages:
        raise refuse(
            f"the PDF has {count} pages; the limit is {max_pages} pages per file",
            "pages",
            pages=count,
            limit=max_pages,
        )
    if _has_javascript(data, reader):
        warnings.append(
            warning("javascript", "the PDF contains JavaScript; it was ignored (only the text is read)")
        )
    texts: list[str] = []
    empty = 0
    for page in reader.pages:
        try:
            text = page.extract_text() or ""
        except Exception:  # one broken page should not lose the rest
            text = ""
        if not text.strip():
            empty += 1
        texts.append(text.strip())
    if 0 < empty < count:
        warnings.append(
            warning(
                "pages_without_text",
                f"{empty} of {count} pages have no text layer (scanned?); their content is missing",
                empty=empty,
                pages=count,
            )
        )
    return PAGE_BREAK.join(texts), count, warnings


def _has_javascript(data: bytes, reader: object) -> bool:
    if b"/JavaScript" in data or b"/JS" in data:
        return True
    try:
        root = reader.trailer["/Root"]  # type: ignore[attr-defined]
        names = root.get("/Names") or {}
        return "/JavaScript" in names or ("/OpenAction" in root and "/JS" in str(root["/OpenAction"]))
    except Exception:
        return False


# ------------------------------------------------------------------ Office


def _docx(data: bytes) -> tuple[str, int]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise refuse(
            f"the Word document is damaged and cannot be read ({type(exc).__name__})", "damaged"
        ) from exc
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            from docx.text.paragraph import Paragraph

            lines.append(_docx_paragraph(Paragraph(block, document)))
        elif tag == "tbl":
            from docx.table import Table

            lines.append(_docx_table(Table(block, document)))
    pages = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "docProps/app.xml" in archive.namelist():
                found = re.search(rb"<Pages>(\d+)</Pages>", archive.read("docProps/app.xml"))
                pages = int(found.group(1)) if found else 0
    except (zipfile.BadZipFile, ValueError):
        pages = 0
    return "\n\n".join(line for line in lines if line.strip()), pages


def _docx_paragraph(paragraph: object) -> str:
    text = paragraph.text.strip()  # type: ignore[attr-defined]
    style = (getattr(paragraph.style, "name", "") or "").lower()  # type: ignore[attr-defined]
    if not text:
        return ""
    if style.startswith("heading"):
        level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
        return "#" * min(6, max(1, level)) + " " + text
    if style == "title":
        return "# " + text
    if "list" in style:
        return "- " + text
    return text


def _docx_table(table: object) -> str:
    rows = []
    for i, row in enumerate(table.rows):  # type: ignore[attr-defined]
        cells = [" ".join(c.text.split()).replace("|", "\\|") for c in row.cells]
        rows.append("| " + " | ".join(cells) + " |")
        if i == 0:
            rows.append("|" + " --- |" * len(cells))
    return "\n".join(rows)


def _pptx(data: bytes, max_pages: int) -> tuple[str, int]:
    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(data))
    except Exception as exc:
        raise refuse(
            f"the PowerPoint file is damaged and cannot be read ({type(exc).__name__})", "damaged"
        ) from exc
    count = len(deck.slides)
    if count > max_pages:
        raise refuse(
            f"the presentation has {count} slides; the limit is {max_pages} per file",
            "pages",
            pages=count,
            limit=max_pages,
        )
    slides: list[str] = []
    for n, slide in enumerate(deck.slides, 1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text.strip() if title_shape is not None else ""
        lines = [f"## {title}" if title else f"## Slide {n}"]
        for shape in slide.shapes:
            if (
                title_shape is not None and shape.shape_id == title_shape.shape_id
            ) or not shape.has_text_frame:
                continue
            for para in shape.text_frame.paragraphs:
                text = "".join(run.text for run in para.runs).strip()
                if text:
                    lines.append("  " * para.level + "- " + text)
        if slide.has_notes_slide:
            notes = (
                slide.notes_slide.notes_text_frame.text.strip() if slide.notes_slide.notes_text_frame else ""
            )
            if notes:
                lines.append("\n" + notes)
        slides.append("\n".join(lines))
    return PAGE_BREAK.join(slides), count


# ------------------------------------------------------------------ HTML


def html_to_markdown(html: str) -> tuple[str, list[dict[str, object]]]:
    """Sanitize (scripts, styles, handlers, iframes dropped with their content), then convert."""
    import nh3
    from markdownify import markdownify

    warnings: list[dict[str, object]] = []
    if re.search(r"<script\b|\son\w+\s*=|javascript:", html, re.I):
        warnings.append(
            warning("scripts", "the HTML contains scripts; they were removed (only the text is read)")
        )
    tags = {
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "ul", "ol", "li", "table", "thead", "tbody",
        "tr", "th", "td", "strong", "em", "b", "i", "code", "pre", "blockquote", "a", "hr",
    }  # fmt: skip
    clean = nh3.clean(html, tags=tags, attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"})
    return markdownify(clean, heading_style="ATX", bullets="-"), warnings
