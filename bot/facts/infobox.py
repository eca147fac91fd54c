"""Infobox entries in every rendering the documents show, as (label, side, value span) over the original text.

Renderings: `- Key: value` lines, `| key = value` wiki markup (with `{{Infobox ...}}` nesting), pipe tables
("Label | value |", or a label row followed by one cell per side), label lines with the value on the same
line ("Duration 80 seconds", glued "DateMarch 3, 2021") or on the lines below ("Location" / "Leyte,
Philippines"). A label ending in a number ("Casualties1", "popular_vote2") is that side's entry; values that list
one entry per side are split per side where the domain says the field is per side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.facts.domains import Domain
from bot.facts.numbers import QUANTITY
from bot.ingest import INFOBOX, Document
from bot.spans import Span, strip_span

# Labels any infobox may carry, whatever its domain; a domain pack adds its own (Domain.infobox_labels).
GENERAL_LABELS = {
    "date": "date", "dates": "date", "time": "time", "location": "place", "place": "place", "coordinates": "coordinates",
    "country": "place", "venue": "place", "election date": "date", "date of election": "date",
}
_KV = re.compile(r"^[ \t]*[-*•][ \t]*([A-Za-z][\w /().&'-]{0,40}?)[ \t]*:[ \t]*(.*?)[ \t]*$")
_WIKI = re.compile(r"^[ \t]*\|[ \t]*([A-Za-z][\w .-]{0,40}?)[ \t]*=[ \t]*(.*?)[ \t]*$")
# A label line: a capitalised label of at most four words, then the value (a figure, a capitalised word,
# a symbol). "Max. intensity XII (Extreme)", "Areas affected Turkey and Syria", "Total damage > US$163.6 billion"
_LABEL_VALUE = re.compile(r"^([A-Z][A-Za-z.]{1,24}(?:[ \t]+(?:[a-z][a-z.()]{0,19}|and|of)){0,3})[ \t]+"
                          r"(?=[\dA-Z~<>≥≤±$£€(\u0100-\uffff-])(\S.{0,400})$")
# A list row: "6. Bola Tinubu (APC) – 8,794,726", "Leave: 17,410,742": a name, then its figure
_ROW = re.compile(r"^[ \t•*-]{0,4}(?:\d{1,3}[.)][ \t]+)?([A-Z][^\d–—:|=]{1,60}?)[ \t]*(?:[–—:-][ \t]*){1,2}"
                  r"(?:[A-Z]{2,6}[ \t]*[–—-][ \t]*)?(?=[\d~<>≥≤$£€])(\S.{0,200})$")
_GLUED = re.compile(r"^([A-Z][a-z]{2,20})(?=[A-Z0-9~])(\S.{0,400})$")
_FLAG = re.compile(r"Flag of [^\n]{0,80}?\.(?:svg|png|gif)\s*")
_SIDE_SPLIT = re.compile(r"\s*\|\s*|[\u00a0 ]{2,}|\u00a0\s*")
_FILE_VALUE = re.compile(r"\.(?:jpe?g|png|svg|gif)\b|^#[0-9A-Fa-f]{3,6}$|^\d+x\d+px$", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    label: str  # normalised: lowercase, spaces, no side number ("casualties", "popular vote")
    written: str  # as written ("Casualties1", "popular_vote1")
    field: str  # the domain's canonical field for the label, or the label
    side: int | None  # 1, 2, ... for per-side values
    value: Span
    line: Span  # the whole line the value sits on, for quoting
    row: bool = False  # a list row ("Name – figure"): the label names whose figure it is, not what it measures


def normalise_label(label: str) -> tuple[str, int | None]:
    m = re.fullmatch(r"\s*(.*?)[\s_]*(\d)?\s*", label)
    name = re.sub(r"[_\s]+", " ", m.group(1)).strip(" :|").lower()
    return name, int(m.group(2)) if m.group(2) else None


def _field(label: str, domain: Domain) -> str:
    return domain.infobox_labels.get(label) or GENERAL_LABELS.get(label) or label


def _known(label: str, domain: Domain) -> bool:
    name, _ = normalise_label(label)
    return name in domain.infobox_labels or name in GENERAL_LABELS


def infobox_lines(doc: Document) -> list[Span]:
    text = doc.text
    lines: list[Span] = []
    for block in doc.blocks:
        if block.kind != INFOBOX:
            continue
        pos = block.span.start
        for raw in block.span.of(text).splitlines(keepends=True):
            s, e = strip_span(text, pos, pos + len(raw))
            if s < e:
                lines.append(Span(s, e))
            pos += len(raw)
    return lines


def entries(doc: Document, domain: Domain) -> list[Entry]:
    """Every label/value entry of the document's infobox blocks."""
    text = doc.text
    out: list[Entry] = []
    current: tuple[str, str, int | None] | None = None  # label, written, side of a label whose values follow

    def add(written: str, value: Span, line: Span, *, per_side: bool = True) -> None:
        label, side = normalise_label(written)
        if not label or not len(value):
            return
        field = _field(label, domain)
        if per_side and side is None and field in domain.per_side_fields:
            parts = _side_values(text, field, value, domain)
            for i, part in enumerate(parts, start=1):
                if not _FILE_VALUE.search(part.of(text)):
                    out.append(Entry(label, written, field, i if len(parts) > 1 else None, part, line))
            return
        if not _FILE_VALUE.search(value.of(text)):
            out.append(Entry(label, written, field, side, value, line))

    open_label = False  # the current label stood alone on its line: the lines below are its values
    for line in infobox_lines(doc):
        body = line.of(text)
        m = _KV.match(body) or _WIKI.match(body)
        if m:
            if m.end(2) > m.start(2) and not m.group(2).startswith("{{Infobox"):
                add(m.group(1), Span(line.start + m.start(2), line.start + m.end(2)), line)
            current, open_label = None, False
            continue
        if "|" in body:
            cells = _cells(text, line)
            filled = [c for c in cells if c.of(text).strip(" -")]
            if not filled:
                continue
            first = filled[0].of(text)
            under_side_label = current is not None and (_field(current[0], domain) in domain.per_side_fields
                                                        or _field(current[0], domain) == domain.casualty_label)
            if len(filled) == 1:
                if _known(first, domain) or (current is None and not _has_value(first)):
                    current = (normalise_label(first)[0], first, None)
                elif current is not None:
                    add(current[1] + "1", filled[0], line, per_side=False)
                continue
            if not under_side_label and not _has_value(first) and _looks_like_label(first) and (
                    _known(first, domain) or len(filled) == 2):
                for cell in filled[1:]:
                    add(first, cell, line, per_side=False)
                continue
            if current is not None:
                for i, cell in enumerate(filled):
                    add(current[1] + str(i + 1), cell, line, per_side=False)
            continue
        m = _known_label(body, domain)
        if m is not None:
            written, rest = m
            current = (normalise_label(written)[0], written, None)
            value = Span(*strip_span(text, line.start + rest, line.end))
            open_label = not len(value)
            if len(value):
                add(written, value, line)
            continue
        r = _ROW.match(body)
        if r and not _known(r.group(1), domain) and len(r.group(1).split()) <= 8:
            out.append(Entry(normalise_label(r.group(1))[0], r.group(1).strip(), "", None,
                             Span(line.start + r.start(2), line.start + r.end(2)), line, row=True))
            continue
        m = _LABEL_VALUE.match(body)
        if current is not None and open_label and not (m and re.match(r"[\d~<>≥≤±$£€]", m.group(2))):
            add(current[1], line, line)
            continue
        if m and not re.search(r"[.!?]$", body) and len(body.split()) <= 30:
            current, open_label = (normalise_label(m.group(1))[0], m.group(1), None), False
            add(m.group(1), Span(line.start + m.start(2), line.start + m.end(2)), line)
            continue
        if current is not None:
            add(current[1], line, line)
        elif len(body.split()) <= 4 and not _has_value(body) and _looks_like_label(body):
            current, open_label = (normalise_label(body)[0], body, None), True
    return out


def _known_label(body: str, domain: Domain) -> tuple[str, int] | None:
    """(label, where its value starts) for a line opening with a known label, glued or not."""
    labels = sorted(set(domain.infobox_labels) | set(GENERAL_LABELS), key=len, reverse=True)
    low = body.lower()
    for label in labels:
        if low.startswith(label):
            rest = body[len(label) :]
            if not rest or rest[0] in " \t:|" or rest[0].isupper() or rest[0].isdigit() or rest[0] in "~":
                return body[: len(label)], len(label) + (len(rest) - len(rest.lstrip(" \t:|")))
    return None


def _has_value(text: str) -> bool:
    return bool(re.search(r"\d", text))


def _looks_like_label(text: str) -> bool:
    s = text.strip()
    return bool(re.fullmatch(r"[A-Z][A-Za-z.]*(?:[ _][A-Za-z.()]+){0,4}", s)) and len(s) <= 40


def _cells(text: str, line: Span) -> list[Span]:
    out, pos = [], line.start
    for part in line.of(text).split("|"):
        s, e = strip_span(text, pos, pos + len(part))
        out.append(Span(s, max(s, e)))
        pos += len(part) + 1
    while out and not out[-1].of(text):
        out.pop()
    return out


def _side_values(text: str, field: str, value: Span, domain: Domain) -> list[Span]:
    """A value that lists each side's entry ("80 ~100", "Name  Unknown", "Flag of X.svg A Flag of Y.svg B")."""
    body = value.of(text)
    if field == domain.side_label and _FLAG.search(body):
        flags = list(_FLAG.finditer(body))
        spans = []
        for i, m in enumerate(flags):
            end = flags[i + 1].start() if i + 1 < len(flags) else len(body)
            s, e = strip_span(text, value.start + m.end(), value.start + end)
            if s < e:
                spans.append(Span(s, e))
        return spans
    quantities = list(QUANTITY.finditer(body))
    if len(quantities) >= 2 and not body[quantities[0].end() : quantities[1].start()].strip():
        return [Span(value.start + q.start(), value.start + q.end()) for q in quantities]
    pieces, pos = [], 0
    for m in list(_SIDE_SPLIT.finditer(body)) + [None]:
        end = m.start() if m else len(body)
        s, e = strip_span(text, value.start + pos, value.start + end)
        if s < e:
            pieces.append(Span(s, e))
        pos = m.end() if m else len(body)
    return pieces if len(pieces) >= 2 else [value]
