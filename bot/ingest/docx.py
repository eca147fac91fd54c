"""DOCX -> canonical text (python-docx): the body's paragraphs and tables in order, one paragraph a block,
a table row a line with its cells separated by " | ". Heading and Title styles say which lines are the title
and the sections. Each canonical paragraph keeps its place in the file (paragraph index; table, row, cell)."""

from __future__ import annotations

import io

from bot.errors import DocumentRejected
from bot.ingest.locators import Paragraph, SourceMap


def extract(data: bytes, name: str) -> tuple[str, SourceMap, str, list[tuple[int, int]]]:
    """(canonical text, source map, title, heading ranges) of a DOCX file's bytes."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a damaged or foreign file
        raise DocumentRejected(f"{name}: not a readable Word document ({type(exc).__name__})") from None
    parts: list[str] = []
    paragraphs: list[Paragraph] = []
    headings: list[tuple[int, int]] = []
    title = (document.core_properties.title or "").strip()
    pos = 0
    body_index, table_index = 0, 0

    def add(text: str, record) -> None:
        nonlocal pos
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(text)
        paragraphs.append(record(pos, pos + len(text)))
        pos += len(text)

    for item in document.iter_inner_content():
        if isinstance(item, DocxParagraph):
            text = item.text
            if text.strip():
                style = (item.style.name or "").lower() if item.style is not None else ""
                at = pos + (2 if parts else 0)
                add(text, lambda a, b, i=body_index: Paragraph(a, b, i))
                if style.startswith("heading") or style in ("title", "subtitle"):
                    headings.append((at, at + len(text)))
                    if style == "title" and not title:
                        title = text.strip()
            body_index += 1
        elif isinstance(item, Table):
            for r, row in enumerate(item.rows):
                cells = []
                seen = set()
                for c, cell in enumerate(row.cells):
                    if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                        continue
                    seen.add(id(cell._tc))
                    cells.append((c, cell.text.replace("\n", " ").strip()))
                line = " | ".join(t for _, t in cells)
                if not line.replace("|", "").strip():
                    continue
                if parts:
                    parts.append("\n\n")
                    pos += 2
                for k, (c, cell_text) in enumerate(cells):
                    if k:
                        parts.append(" | ")
                        pos += 3
                    parts.append(cell_text)
                    paragraphs.append(Paragraph(pos, pos + len(cell_text), 0, table_index, r, c))
                    pos += len(cell_text)
            table_index += 1
    text = "".join(parts)
    if not text.strip():
        raise DocumentRejected(f"{name}: the Word document has no text")
    return text, SourceMap("docx", paragraphs=tuple(paragraphs)), title, headings
