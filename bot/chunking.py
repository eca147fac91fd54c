"""Document -> sentences and chunks, each a span over the original text.

Sentences are the unit of quoting; chunks (runs of whole sentences inside one section) are the unit of
retrieval and must fit the embedding model's window, because the model silently drops what is beyond it.
"""

from __future__ import annotations

import bisect
import ctypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import blingfire
import numpy as np

from bot.ingest import INFOBOX, REFERENCE, Block, Document
from bot.spans import Span, strip_span

class Tokens(Protocol):
    """The model's tokenizer, as chunking needs it: token counts, and where each token of a text sits."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def token_offsets(self, text: str) -> list[tuple[int, int]]: ...

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
    ends = _running_ends(doc)
    for block in doc.content_blocks():
        for start, end in _block_units(doc, block):
            for s, e in _minus_cruft(doc, start, end, ends):
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
    # Reference markers that open a sentence ("[3] [4] The storm hit") belong to the one before it.
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


def _minus_cruft(doc: Document, start: int, end: int, ends: list[int]) -> list[tuple[int, int]]:
    """[start, end) less the page cruft inside it. `ends`: the running maximum of the (sorted) cruft spans'
    ends, so a binary search finds the first span that can overlap and only overlapping spans are read."""
    cruft = doc.cruft
    i = bisect.bisect_left(ends, start + 1)
    pieces, pos = [], start
    while i < len(cruft) and cruft[i].start < end:
        c = cruft[i]
        if c.start > pos:
            pieces.append(strip_span(doc.text, pos, min(c.start, end)))
        pos = max(pos, c.end)
        i += 1
    if pos < end:
        pieces.append(strip_span(doc.text, pos, end))
    return [p for p in pieces if p[0] < p[1]]


def _running_ends(doc: Document) -> list[int]:
    ends, top = [], -1
    for c in doc.cruft:
        top = max(top, c.end)
        ends.append(top)
    return ends


def chunk_document(doc: Document, tokens: Tokens, *, max_tokens: int,
                   sentences: Sequence[Sentence] | None = None) -> list[Chunk]:
    """Pack sentences (split_sentences(doc) unless given) into chunks of at most `max_tokens` model tokens,
    headed by title and section."""
    sentences = split_sentences(doc) if sentences is None else sentences
    texts = [s.span.of(doc.text) for s in sentences]
    count_tokens = tokens.count_tokens
    sizes = count_tokens(texts) if texts else []
    pieces: list[tuple[Sentence, int]] = []
    for sent, size in zip(sentences, sizes):
        pieces.extend(_fit(doc, sent, size, max_tokens // 2, tokens))

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


def _fit(doc: Document, sent: Sentence, size: int, limit: int, tokens: Tokens) -> list[tuple[Sentence, int]]:
    """Split an over-long sentence into pieces of at most `limit` tokens, cut before a token that starts a word
    where the window has one. The sentence is tokenized once: linear in its length."""
    if size <= limit:
        return [(sent, size)]
    start = sent.span.start
    body = sent.span.of(doc.text)
    offsets = [o for o in tokens.token_offsets(body) if o[1] > o[0]]
    out: list[tuple[Sentence, int]] = []
    first = 0
    while first < len(offsets):
        stop = min(first + limit, len(offsets))
        if stop < len(offsets):
            cut = stop
            while cut > first + 1 and not body[offsets[cut][0] - 1].isspace():
                cut -= 1
            stop = cut if cut > first + 1 else stop
        a, b = strip_span(doc.text, start + offsets[first][0], start + offsets[stop - 1][1])
        if a < b:
            out.append((Sentence(Span(a, b), sent.kind, sent.section), stop - first))
        first = stop
    return out
