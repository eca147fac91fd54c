"""Raw wikitext in a text file, recognised by its markup and read with mwparserfromhell: templates other than
the infobox, <ref> notes and comments are furniture (never quoted; a note's text is kept as a reference),
the infobox is read as an infobox and the rest as prose. The file is the canonical text."""

from __future__ import annotations

import re

from bot.spans import Span

_MARKS = re.compile(r"\{\{[Ii]nfobox|^\s*={2,6}[^=\n]{1,200}={2,6}\s*$|<ref[\s>]|\{\{[Cc]ite |\[\[[^\]\n]{1,200}\]\]|^'''",
                    re.MULTILINE)


def looks_like_wikitext(text: str) -> bool:
    """Three kinds of wiki markup or more (an infobox, headings, references, links, bold names)."""
    found = {m.group(0)[:3] for m in _MARKS.finditer(text[:200_000])}
    return len(found) >= 3


def furniture(text: str) -> tuple[list[Span], dict[str, Span]]:
    """(spans that are furniture, the text of each <ref> note by its number in order)."""
    import mwparserfromhell

    code = mwparserfromhell.parse(text)
    spans: list[Span] = []
    notes: dict[str, Span] = {}
    pos = 0
    for node in code.nodes:
        raw = str(node)
        end = pos + len(raw)
        kind = type(node).__name__
        if kind == "Template":
            name = str(node.name).strip().lower()
            if not name.startswith("infobox"):
                spans.append(Span(pos, end))
        elif kind == "Tag" and str(node.tag).lower() == "ref":
            spans.append(Span(pos, end))
            body = raw.find(">") + 1
            close = raw.rfind("</")
            if 0 < body < close:
                notes[str(len(notes) + 1)] = Span(pos + body, pos + close)
        elif kind == "Comment":
            spans.append(Span(pos, end))
        elif kind == "Wikilink" and re.match(r"\[\[\s*(?:File|Image|Category):", raw, re.IGNORECASE):
            spans.append(Span(pos, end))
        pos = end
    return spans, notes
