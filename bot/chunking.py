"""Document -> sentences and chunks, each a span over the original text.

Sentences are the unit of quoting; chunks (runs of whole sentences inside one section) are the unit of
retrieval and must fit the embedding model's window, because the model silently drops what is beyond it.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import blingfire
import numpy as np

from bot.ingest import INFOBOX, REFERENCE, Block, Document
from bot.spans import Span, strip_span

TokenCounter = Callable[[Sequence[str]], list[int]]

_LEADING_MARKERS = re.compile(r"(?:\s*\[\d{1,4}\])+")
_HAS_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Sentence:
    span: Span
    kind: str
    section: str


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: consecutive sentences of one section. `text` is what gets embedded."""

    doc_id: str
    ordinal: int
    span: Span
    kind: str
    section: str
    sentences: tuple[Span, ...]
    text: str

    def sentence_ranges(self, doc_text: str) -> list[tuple[int, int]]:
        """Where each sentence sits in `text`: after the header, joined by single spaces (see chunk_document)."""
        bodies = [s.of(doc_text) for s in self.sentences]
        pos = len(self.text) - len(" ".join(bodies))
        out = []
        for body in bodies:
            out.append((pos, pos + len(body)))
            pos += len(body) + 1
        return out


def split_sentences(doc: Document) -> list[Sentence]:
    """Sentences of every quotable block, never crossing a block or touching page cruft."""
    out: list[Sentence] = []
    for block in doc.content_blocks():
        for start, end in _block_units(doc, block):
            for s, e in _minus_cruft(doc, start, end):
                if _HAS_WORD.search(doc.text, s, e):
                    out.append(Sentence(Span(s, e), block.kind, block.section))
    return out


def _block_units(doc: Document, block: Block) -> list[tuple[int, int]]:
    text = doc.text
    if block.kind in (INFOBOX, REFERENCE):
        units, pos = [], block.span.start
        for line in block.span.of(text).splitlines(keepends=True):
            units.append(strip_span(text, pos, pos + len(line)))
            pos += len(line)
        return [u for u in units if u[0] < u[1]]
    body = block.span.of(text)
    offsets = sentence_offsets(body)
    units = [[block.span.start + a, block.span.start + b] for a, b in offsets]
    # Reference markers that open a sentence ("[3] [4] JNIM attacked") belong to the one before it.
    for prev, cur in zip(units, units[1:]):
        m = _LEADING_MARKERS.match(text, cur[0], cur[1])
        if m and m.end() < cur[1]:
            prev[1] = m.end()
            cur[0] = m.end()
    return [strip_span(text, a, b) for a, b in units if strip_span(text, a, b)[0] < strip_span(text, a, b)[1]]


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """blingfire's sentence boundaries as character offsets into `text`.

    The same call as blingfire.text_to_sentences_and_offsets, whose wrapper maps the UTF-8 byte offsets
    back to characters in a Python loop over every byte, which made it most of the parsing time; here one
    numpy pass does that mapping."""
    data = text.encode("utf-8")
    size = 2 * len(data)
    if not size:
        return []
    out = ctypes.create_string_buffer(size)
    starts, ends = (ctypes.c_int32 * size)(), (ctypes.c_int32 * size)()
    n = blingfire.blingfire.TextToSentencesWithOffsets(ctypes.c_char_p(data), ctypes.c_int(len(data)), ctypes.byref(out),
                                                       ctypes.byref(starts), ctypes.byref(ends), ctypes.c_int(size))
    if n == -1 or n > size or not out.value:  # nothing but spaces: no sentence (the wrapper makes one up)
        return []
    count = out.value.count(b"\n") + 1
    first = np.frombuffer(starts, dtype=np.int32, count=count).astype(np.int64)
    last = np.frombuffer(ends, dtype=np.int32, count=count).astype(np.int64)  # inclusive byte offsets
    if len(data) == len(text):
        return list(zip(first.tolist(), (last + 1).tolist()))
    chars_through = np.cumsum((np.frombuffer(data, dtype=np.uint8) & 0xC0) != 0x80)  # characters in bytes [0, i]
    return list(zip((chars_through[first] - 1).tolist(), chars_through[last].tolist()))


def _minus_cruft(doc: Document, start: int, end: int) -> list[tuple[int, int]]:
    pieces = [(start, end)]
    for c in doc.cruft:
        if c.end <= start or c.start >= end:
            continue
        nxt = []
        for s, e in pieces:
            if c.end <= s or c.start >= e:
                nxt.append((s, e))
                continue
            if c.start > s:
                nxt.append(strip_span(doc.text, s, c.start))
            if c.end < e:
                nxt.append(strip_span(doc.text, c.end, e))
        pieces = [p for p in nxt if p[0] < p[1]]
    return pieces


def chunk_document(doc: Document, count_tokens: TokenCounter, *, max_tokens: int,
                   sentences: Sequence[Sentence] | None = None) -> list[Chunk]:
    """Pack sentences (split_sentences(doc) unless given) into chunks of at most `max_tokens` model tokens,
    headed by title and section."""
    sentences = split_sentences(doc) if sentences is None else sentences
    texts = [s.span.of(doc.text) for s in sentences]
    sizes = count_tokens(texts) if texts else []
    pieces: list[tuple[Sentence, int]] = []
    for sent, size in zip(sentences, sizes):
        pieces.extend(_fit(doc, sent, size, max_tokens // 2, count_tokens))

    chunks: list[Chunk] = []
    group: list[Sentence] = []
    header_cache: dict[str, int] = {}

    def header(section: str) -> str:
        return f"{doc.title} — {section}: " if section else f"{doc.title}: "

    def budget(section: str) -> int:
        if section not in header_cache:
            header_cache[section] = count_tokens([header(section)])[0]
        return max_tokens - header_cache[section]

    def flush() -> None:
        if not group:
            return
        first, last = group[0], group[-1]
        body = " ".join(s.span.of(doc.text) for s in group)
        chunks.append(
            Chunk(
                doc_id=doc.doc_id,
                ordinal=len(chunks),
                span=Span(first.span.start, last.span.end),
                kind=first.kind,
                section=first.section,
                sentences=tuple(s.span for s in group),
                text=header(first.section) + body,
            )
        )
        group.clear()

    used = 0
    for sent, size in pieces:
        if group and (sent.kind != group[0].kind or sent.section != group[0].section or used + size > budget(sent.section)):
            flush()
            used = 0
        group.append(sent)
        used += size
    flush()
    return chunks


def _fit(doc: Document, sent: Sentence, size: int, limit: int, count_tokens: TokenCounter) -> list[tuple[Sentence, int]]:
    """Split an over-long sentence at whitespace into pieces of at most `limit` tokens."""
    if size <= limit:
        return [(sent, size)]
    start, end = sent.span.start, sent.span.end
    words = []
    for m in re.finditer(r"\S+", doc.text[start:end]):
        # A WordPiece token covers at least one character, so `limit` characters never exceed `limit` tokens.
        for a in range(m.start(), m.end(), limit):
            words.append((start + a, start + min(a + limit, m.end())))
    out: list[tuple[Sentence, int]] = []
    i = 0
    while i < len(words):
        lo, hi = i + 1, len(words)
        best = i + 1
        while lo <= hi:  # largest run of words that fits
            mid = (lo + hi) // 2
            if count_tokens([doc.text[words[i][0] : words[mid - 1][1]]])[0] <= limit:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        piece = Span(words[i][0], words[best - 1][1])
        out.append((Sentence(piece, sent.kind, sent.section), count_tokens([piece.of(doc.text)])[0]))
        i = best
    return out
