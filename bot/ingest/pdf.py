"""PDF -> canonical text (pypdfium2): lines joined into paragraphs in the page's reading order, end-of-line
hyphenation and ligatures repaired, running headers, footers and page numbers left out. Every canonical
character keeps its page, its index in pdfium's page text and its box, so a quote becomes a page and the
boxes of its lines. A PDF with no text layer (a scan) or one that needs a password is rejected."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.errors import DocumentRejected
from bot.ingest.locators import SourceMap

_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
_NUMBERED = re.compile(r"^\s*(?:\d{1,3}|[IVX]{1,5}|[A-Z])[.)]\s")


@dataclass
class _Line:
    page: int
    chars: list[tuple[str, int]]  # (character, index in the page text or -1)
    box: tuple[float, float, float, float]

    @property
    def text(self) -> str:
        return "".join(c for c, _ in self.chars)


def extract(data: bytes, name: str) -> tuple[str, SourceMap, str]:
    """(canonical text, its source map, the PDF's own title or '') of a PDF's bytes."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise DocumentRejected(f"{name}: the PDF is encrypted (it needs a password); decrypt it and ingest again") from None
        raise DocumentRejected(f"{name}: not a readable PDF ({exc})") from None
    try:
        read = [_page_lines(pdf[i], i) for i in range(len(pdf))]
        pages = [lines for lines, _ in read]
        char_boxes = [b for _, b in read]
        title = (pdf.get_metadata_value("Title") or "").strip() if hasattr(pdf, "get_metadata_value") else ""
    finally:
        pdf.close()
    if not any(ln.text.strip() for lines in pages for ln in lines):
        raise DocumentRejected(f"{name}: the PDF has no text layer (a scanned image?); OCR is not supported")
    furniture = _running_lines(pages)
    text_parts: list[str] = []
    index: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    page_ranges: list[tuple[int, int]] = []
    pos = 0
    for p, lines in enumerate(pages):
        if p:
            _emit(text_parts, index, boxes, "\n\n", -1, None)
            pos += 2
        start = pos
        kept = [ln for k, ln in enumerate(lines) if (p, k) not in furniture and ln.text.strip()]
        for k, ln in enumerate(kept):
            if k:
                sep = "\n\n" if _breaks(kept[k - 1], ln) else " "
                _emit(text_parts, index, boxes, sep, -1, None)
                pos += len(sep)
            chars = ln.chars
            while chars and chars[-1][0].isspace():
                chars = chars[:-1]
            for ch, i in chars:
                box = char_boxes[p][i] if i >= 0 else None
                out = _LIGATURES.get(ch, ch)
                for c in out:
                    _emit(text_parts, index, boxes, c, i, box)
                    pos += 1
        page_ranges.append((start, pos))
    text = "".join(text_parts)
    source = SourceMap("pdf", page_index=np.array(index, dtype=np.int32),
                       boxes=np.array(boxes, dtype=np.float32).reshape(-1, 4), pages=tuple(page_ranges))
    return text, source, title


def _emit(parts: list[str], index: list[int], boxes: list, text: str, i: int, box) -> None:
    for c in text:
        parts.append(c)
        index.append(i)
        boxes.append(tuple(box) if box is not None else (0.0, 0.0, 0.0, 0.0))


def _page_lines(page, number: int) -> tuple[list[_Line], np.ndarray]:
    """The page's text lines in pdfium's order (the content's reading order), hyphenation markers dropped, and
    the box of each character of pdfium's page text."""
    tp = page.get_textpage()
    try:
        raw = tp.get_text_range()
        n = tp.count_chars()
        boxes = np.zeros((max(n, len(raw)), 4), dtype=np.float32)
        for i in range(n):
            boxes[i] = tp.get_charbox(i)
    finally:
        tp.close()
    lines: list[_Line] = []
    current: list[tuple[str, int]] = []
    for i, ch in enumerate(raw):
        if ch == "\n" or (ch == "\r" and raw[i + 1 : i + 2] != "\n"):
            if ch == "\r":
                current.append((" ", -1))  # a bare carriage return inside a line
                continue
            lines.append(_make_line(number, current, boxes))
            current = []
        elif ch == "\r" or ch == "\ufffe" or ch == "\x02":
            continue  # a line end (\r\n) or pdfium's mark of a hyphen removed at a line end: the word is joined
        else:
            current.append((ch, i if i < n else -1))
    if current:
        lines.append(_make_line(number, current, boxes))
    return lines, boxes


def _make_line(page: int, chars: list[tuple[str, int]], boxes: np.ndarray) -> _Line:
    real = [boxes[i] for _, i in chars if i >= 0 and boxes[i][2] > boxes[i][0]]
    if real:
        a = np.array(real)
        box = (float(a[:, 0].min()), float(a[:, 1].min()), float(a[:, 2].max()), float(a[:, 3].max()))
    else:
        box = (0.0, 0.0, 0.0, 0.0)
    return _Line(page, chars, box)


def _breaks(prev: _Line, line: _Line) -> bool:
    """A paragraph break between two lines: a wide vertical gap, a numbered paragraph, or a short line that
    ends a sentence."""
    text, prev_text = line.text.strip(), prev.text.strip()
    height = max(1.0, prev.box[3] - prev.box[1])
    gap = prev.box[1] - line.box[3]
    if gap > 1.2 * height and line.box[0] < prev.box[2]:  # below it, in the same column, with space between
        return True
    if _NUMBERED.match(text) and _SENTENCE_END.search(prev_text):
        return True
    return len(prev_text.split()) <= 8 and not _SENTENCE_END.search(prev_text) and text[:1].isupper()


def _running_lines(pages: list[list[_Line]]) -> set[tuple[int, int]]:
    """Lines repeated near the top or bottom of most pages (digits aside): running headers, footers and page
    numbers. A one-page PDF has none."""
    if len(pages) < 3:
        return set()
    keys: dict[tuple[int, int], str] = {}
    counts: Counter = Counter()
    for p, lines in enumerate(pages):
        ys = [ln.box[1] for ln in lines if ln.box[3] > ln.box[1]]
        if not ys:
            continue
        top, bottom = max(ln.box[3] for ln in lines), min(ys)
        span = max(1.0, top - bottom)
        seen = set()
        for k, ln in enumerate(lines):
            near_edge = ln.box[3] >= top - 0.08 * span or ln.box[1] <= bottom + 0.08 * span
            if not near_edge or len(ln.text.split()) > 12:
                continue
            key = re.sub(r"\d+", "#", " ".join(ln.text.split())).lower()
            keys[(p, k)] = key
            if key not in seen:
                counts[key] += 1
                seen.add(key)
    return {where for where, key in keys.items()
            if counts[key] >= max(2, len(pages) // 2) or re.fullmatch(r"[#\s/\-–—]*", key)}
