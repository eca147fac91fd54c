"""Where a quote sits in the original file: offsets into a text file, a byte range of an HTML page, a PDF
page with the boxes of the quoted lines, a DOCX paragraph.

Quotes are verified against a document's canonical text; a SourceMap, built when the canonical text was
extracted, carries each canonical character back to the original, so every locator is exact."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Locator:
    """One of: text {start, end}; html {byte_start, byte_end}; pdf {page, start, end, boxes}; docx {paragraph,
    start, end, table?, row?, cell?}. Page numbers are 1-based; PDF boxes are [x0, y0, x1, y1] in points
    (origin bottom left), one per quoted line of `page`; a quote that runs on lists the later pages' lines in
    `more_pages`."""

    kind: str
    start: int | None = None
    end: int | None = None
    byte_start: int | None = None
    byte_end: int | None = None
    page: int | None = None
    boxes: list[list[float]] | None = None
    more_pages: list[dict] | None = None  # pdf: a quote that runs onto later pages: [{page, boxes}] for each
    paragraph: int | None = None
    table: int | None = None
    row: int | None = None
    cell: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Paragraph:
    """A DOCX paragraph's range in the canonical text, and where it is in the file."""

    start: int
    end: int
    index: int  # the paragraph's position among the body's paragraphs (or within its cell)
    table: int | None = None
    row: int | None = None
    cell: int | None = None


@dataclass(frozen=True)
class SourceMap:
    """Per canonical character: HTML byte range in the original; PDF page-text index and box. DOCX: paragraphs."""

    kind: str
    byte_start: np.ndarray | None = None  # html
    byte_end: np.ndarray | None = None  # html
    page_index: np.ndarray | None = None  # pdf: the character's index in its page's text (-1: inserted)
    boxes: np.ndarray | None = None  # pdf: [n, 4] float32 box of each canonical character
    pages: tuple[tuple[int, int], ...] = ()  # pdf: each page's range in the canonical text
    paragraphs: tuple[Paragraph, ...] = field(default_factory=tuple)  # docx

    def to_bytes(self) -> bytes:
        arrays = {k: v for k, v in (("byte_start", self.byte_start), ("byte_end", self.byte_end),
                                    ("page_index", self.page_index), ("boxes", self.boxes)) if v is not None}
        arrays["pages"] = np.array(self.pages, dtype=np.int64).reshape(-1, 2)
        arrays["paragraphs"] = np.array([[p.start, p.end, p.index, _n(p.table), _n(p.row), _n(p.cell)]
                                         for p in self.paragraphs], dtype=np.int64).reshape(-1, 6)
        buf = io.BytesIO()
        np.savez_compressed(buf, kind=np.array(self.kind), **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "SourceMap":
        z = np.load(io.BytesIO(data), allow_pickle=False)
        get = lambda k: z[k] if k in z.files else None  # noqa: E731
        paragraphs = tuple(Paragraph(int(a), int(b), int(c), _o(d), _o(e), _o(f)) for a, b, c, d, e, f in z["paragraphs"])
        return cls(str(z["kind"]), get("byte_start"), get("byte_end"), get("page_index"), get("boxes"),
                   tuple((int(a), int(b)) for a, b in z["pages"]), paragraphs)

    def locate(self, start: int, end: int) -> Locator:
        """The locator of canonical characters [start, end)."""
        if self.kind == "html":
            return Locator("html", byte_start=int(self.byte_start[start]), byte_end=int(self.byte_end[end - 1]))
        if self.kind == "pdf":
            return self._pdf(start, end)
        if self.kind == "docx":
            for p in self.paragraphs:
                if p.start <= start < max(p.end, p.start + 1):
                    return Locator("docx", start=start - p.start, end=min(end, p.end) - p.start, paragraph=p.index,
                                   table=p.table, row=p.row, cell=p.cell)
        return Locator("text", start=start, end=end)

    def _pdf(self, start: int, end: int) -> Locator:
        page = self._page_of(start)
        page_start = self.pages[page][0]
        boxes = [self._lines(max(start, a), min(end, b)) for a, b in self.pages[page:self._page_of(end - 1) + 1]]
        more = [{"page": page + 1 + k, "boxes": b} for k, b in enumerate(boxes[1:], 1)]
        return Locator("pdf", start=start - page_start, end=end - page_start, page=page + 1, boxes=boxes[0],
                       more_pages=more or None)

    def _page_of(self, pos: int) -> int:
        return next((i for i, (a, b) in enumerate(self.pages) if a <= pos < b), len(self.pages) - 1)

    def _lines(self, start: int, end: int) -> list[list[float]]:
        """The boxes of the lines canonical characters [start, end) of one page sit on."""
        boxes = self.boxes[start:end]
        real = self.page_index[start:end] >= 0
        lines: list[list[float]] = []
        for box in boxes[real & (boxes[:, 2] > boxes[:, 0])]:
            x0, y0, x1, y1 = (float(v) for v in box)
            if lines and _same_line(lines[-1], y0, y1) and x0 >= lines[-1][0] - 1:
                last = lines[-1]
                lines[-1] = [min(last[0], x0), min(last[1], y0), max(last[2], x1), max(last[3], y1)]
            else:
                lines.append([x0, y0, x1, y1])
        return [[round(v, 2) for v in line] for line in lines]


def _same_line(box: list[float], y0: float, y1: float) -> bool:
    """Two glyph boxes on one line overlap vertically by more than half the smaller height."""
    overlap = min(box[3], y1) - max(box[1], y0)
    return overlap > 0.5 * min(box[3] - box[1], y1 - y0)


def _n(v: int | None) -> int:
    return -1 if v is None else v


def _o(v) -> int | None:
    return None if int(v) < 0 else int(v)


TEXT_MAP = SourceMap("text")
