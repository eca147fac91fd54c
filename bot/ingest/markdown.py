"""Markdown: the file is the canonical text; markdown-it-py says which lines are headings (the first is the
title) and table rows, so the title and sections carry no '#'."""

from __future__ import annotations

from bot.spans import Span


def structure(text: str) -> tuple[Span | None, set[int], set[int]]:
    """(title span, heading line starts, table row starts) of a Markdown text."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)
    line_starts.append(len(text))
    title, headings, rows = None, set(), set()
    tokens = md.parse(text)
    for k, tok in enumerate(tokens):
        if tok.map is None:
            continue
        first = tok.map[0]
        if tok.type == "heading_open":
            start = line_starts[first]
            line = text[start : line_starts[first + 1]].rstrip("\n")
            name = tokens[k + 1].content.strip() if k + 1 < len(tokens) else ""
            if title is None and name and name in line:
                at = start + line.index(name)
                title = Span(at, at + len(name))
            else:
                headings.add(start)
        elif tok.type == "tr_open":
            rows.add(line_starts[first])
    return title, headings, rows
