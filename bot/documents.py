"""The collection as users see it: the list of documents, one document's canonical text (with its pages, for a
PDF), its original file, and a PDF page drawn as an image for highlighting quotes on it."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import BadInput, NotFound
from bot.ingest import is_valid_doc_id
from bot.store import Snapshot

CONTENT_TYPES = {
    "pdf": "application/pdf", "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "markdown": "text/markdown; charset=utf-8", "wikitext": "text/plain; charset=utf-8", "text": "text/plain; charset=utf-8",
}
SUFFIXES = {"pdf": ".pdf", "html": ".html", "docx": ".docx", "markdown": ".md", "wikitext": ".txt", "text": ".txt"}
_PDFIUM = threading.Lock()  # pdfium is not thread-safe


@dataclass(frozen=True)
class Page:
    page: int  # 1-based
    start: int  # the page's range in the document's text
    end: int


@dataclass(frozen=True)
class DocumentSummary:
    doc_id: str
    title: str
    chars: int
    chunks: int
    format: str
    pages: int
    added: float


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    title: str
    sha256: str
    format: str
    text: str
    pages: list[Page]
    original_sha256: str


@dataclass(frozen=True)
class Original:
    data: bytes
    content_type: str
    filename: str


class Documents:
    def __init__(self, snapshot: Callable[[], Snapshot | None]):
        self.snapshot = snapshot

    def _get(self, doc_id: str) -> tuple[Snapshot, object]:
        snap = self.snapshot()
        if snap is None or not is_valid_doc_id(doc_id) or doc_id not in snap.documents:
            raise NotFound(f"no document {doc_id!r}; GET /documents lists them")
        return snap, snap.documents[doc_id]

    def list(self) -> list[DocumentSummary]:
        snap = self.snapshot()
        if snap is None:
            return []
        return [DocumentSummary(d.doc_id, d.title, d.chars, d.chunks, d.format,
                                len(snap.source_map(d.doc_id).pages), d.ingested_at) for d in snap.documents.values()]

    def view(self, doc_id: str) -> DocumentView:
        snap, info = self._get(doc_id)
        pages = [Page(i + 1, a, b) for i, (a, b) in enumerate(snap.source_map(doc_id).pages)]
        return DocumentView(doc_id, info.title, info.sha256, info.format, snap.document_text(doc_id), pages,
                            info.original_sha256)

    def original(self, doc_id: str) -> Original:
        snap, info = self._get(doc_id)
        data = snap.document_original(doc_id)
        if data is None:
            data = snap.document_text(doc_id).encode("utf-8")
        return Original(data, CONTENT_TYPES.get(info.format, "application/octet-stream"),
                        f"{doc_id}{SUFFIXES.get(info.format, '')}")

    def page_image(self, doc_id: str, page: int, *, scale: float = 1.5) -> bytes:
        """A PDF page drawn as PNG at `scale` pixels per point (boxes multiply by it, from the top left)."""
        snap, info = self._get(doc_id)
        if info.format != "pdf":
            raise NotFound(f"document {doc_id!r} is not a PDF; it has no pages to draw")
        count = len(snap.source_map(doc_id).pages)
        if not 1 <= page <= count:
            raise NotFound(f"document {doc_id!r} has pages 1 to {count}")
        if not 0.25 <= scale <= 4:
            raise BadInput("scale must be between 0.25 and 4")
        import pypdfium2 as pdfium

        with _PDFIUM:
            pdf = pdfium.PdfDocument(snap.document_original(doc_id))
            try:
                image = pdf[page - 1].render(scale=scale).to_pil()
            finally:
                pdf.close()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
