"""Infobox fields in every rendering the corpus shows, as (field, side, value span) over the original text.

Renderings: `- Key: value` lines (with Key1/Key2 per side), `| key = value` wiki markup, label lines
("Strength" then "80 ~100", or glued "DateJanuary 26, 2020"), and pipe tables ("Strength | |||" then
"~100 | Several dozen |"). Values that hold one entry per side are split into one field per side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.facts.numbers import QUANTITY
from bot.ingest import INFOBOX, INFOBOX_LABELS, Document
from bot.spans import Span, strip_span

# Canonical field for each label, matched case-insensitively after removing a trailing side number.
_FIELDS = {
    "date": "date", "time": "time", "place": "place", "location": "place", "coordinates": "place",
    "combatant": "side", "combatants": "side", "belligerent": "side", "belligerents": "side", "side": "side",
    "commander": "commander", "commanders": "commander", "commanders and leaders": "commander",
    "leader": "commander", "leaders": "commander",
    "strength": "strength", "units": "units", "units involved": "units",
    "casualties": "casualties", "casualties and losses": "casualties", "casualty": "casualties",
    "deaths": "casualties", "fatalities": "casualties", "injured": "casualties", "wounded": "casualties",
    "result": "result", "outcome": "result", "status": "result",
    "conflict": "event", "partof": "part_of", "part of": "part_of", "target": "target",
    "perpetrator": "side", "perpetrators": "side",
}
_KV = re.compile(r"^[ \t]*[-*•][ \t]*([A-Za-z][\w /()&'-]{0,40}?)[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_WIKI = re.compile(r"^[ \t]*\|[ \t]*([A-Za-z][\w ]{0,40}?)[ \t]*=[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_LABEL = re.compile(
    r"^(" + "|".join(re.escape(x) for x in sorted(INFOBOX_LABELS, key=len, reverse=True)) + r")(?=$|[\sA-Z0-9~|:])",
    re.IGNORECASE,
)
_FLAG = re.compile(r"Flag of [^\n]*?\.(?:svg|png|gif)\s*")
_SIDE_SPLIT = re.compile(r"\s*\|\s*|[\u00a0 ]{2,}|\u00a0\s*")


@dataclass(frozen=True)
class Field:
    field: str  # canonical name (see _FIELDS) or the label as written
    side: int | None  # 1, 2, ... for per-side values
    value: Span
    line: Span  # the whole infobox line the value sits on, for quoting


def canonical(label: str) -> tuple[str, int | None]:
    m = re.fullmatch(r"\s*(.*?)\s*(\d)?\s*", label)
    name, side = m.group(1).lower(), m.group(2)
    return _FIELDS.get(name, name), int(side) if side else None


def infobox_fields(doc: Document) -> list[Field]:
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
    fields: list[Field] = []
    current: tuple[str, int | None] | None = None
    for line in lines:
        body = line.of(text)
        m = _KV.match(body) or _WIKI.match(body)
        if m:
            name, side = canonical(m.group(1))
            vs = line.start + m.start(2)
            if m.end(2) > m.start(2):
                fields.append(Field(name, side, Span(vs, line.start + m.end(2)), line))
            current = None
            continue
        if "|" in body:
            cells = _cells(text, line)
            if not cells or all(not c.of(text).strip() for c in cells):
                continue
            label = _LABEL.fullmatch(cells[0].of(text).strip()) if len(cells) == 1 or all(not c.of(text) for c in cells[1:]) else None
            if label:
                current = canonical(label.group(1))
                continue
            if current is not None:
                for i, cell in enumerate(c for c in cells if c.of(text).strip()):
                    fields.append(Field(current[0], i + 1, cell, line))
            continue
        lm = _LABEL.match(body)
        if lm:
            current = canonical(lm.group(1))
            rest = Span(*strip_span(text, line.start + lm.end(), line.end))
            if len(rest):
                fields.extend(_side_values(text, current[0], rest, line))
            continue
        if current is not None:
            fields.extend(_side_values(text, current[0], line, line))
    return fields


def _cells(text: str, line: Span) -> list[Span]:
    out, pos = [], line.start
    for part in line.of(text).split("|"):
        s, e = strip_span(text, pos, pos + len(part))
        out.append(Span(s, max(s, e)))
        pos += len(part) + 1
    while out and not out[-1].of(text):
        out.pop()
    return out


def _side_values(text: str, field: str, value: Span, line: Span) -> list[Field]:
    """A label-line value that lists both sides ("80 ~100", "Name  Unknown", "Flag of X.svg A Flag of Y.svg B")."""
    body = value.of(text)
    if field == "side" and _FLAG.search(body):
        parts = [(m.end(), None) for m in _FLAG.finditer(body)]
        spans = []
        for i, (start, _) in enumerate(parts):
            end = next((m.start() for j, m in enumerate(_FLAG.finditer(body)) if j == i + 1), len(body))
            s, e = strip_span(text, value.start + start, value.start + end)
            if s < e:
                spans.append(Span(s, e))
        return [Field(field, i + 1, sp, line) for i, sp in enumerate(spans)]
    if field == "strength":
        quantities = [m for m in QUANTITY.finditer(body)]
        if len(quantities) >= 2 and not body[quantities[0].end() : quantities[1].start()].strip():
            return [Field(field, i + 1, Span(value.start + q.start(), value.start + q.end()), line)
                    for i, q in enumerate(quantities)]
    if field in ("commander", "side", "strength"):
        pieces, pos = [], 0
        for m in list(_SIDE_SPLIT.finditer(body)) + [None]:
            end = m.start() if m else len(body)
            s, e = strip_span(text, value.start + pos, value.start + end)
            if s < e:
                pieces.append(Span(s, e))
            pos = m.end() if m else len(body)
        if len(pieces) >= 2:
            return [Field(field, i + 1, sp, line) for i, sp in enumerate(pieces)]
    return [Field(field, None, value, line)]
