"""Files -> Documents: the exact original text plus its structure as spans over that text.

Documents arrive in loose formats (wiki pages with `= Title =` and `- Key: value` infoboxes, wiki mirrors
with label-line infoboxes, scraped news pages with navigation cruft, pipe-table infoboxes, plain text with
headings glued to the next sentence). Nothing here rewrites the text: structure is recorded as spans, so
every later quote can be checked with `text[start:end]`.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import DocumentRejected
from bot.ingest.locators import TEXT_MAP, SourceMap
from bot.spans import Span, strip_span

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")

TITLE, HEADING, INFOBOX, PROSE, REFERENCE, RELATED = "title", "heading", "infobox", "prose", "reference", "related"

# Whole lines that are page furniture, not content.
_CRUFT_LINE = re.compile(
    r"""^\s*(?:\d+\.\s+)?(?:
        skip\ (?:to|next)\b.* | jump\ to\b.* | this\ browser\ does\ not\ support\b.* | last\ updated\b.{0,40}
      | contents | table\ of\ contents | from\ wikipedia,\ the\ free\ encyclopedia | toggle\b.{0,60}
      | advertisement | share\ this.{0,30} | (?:sign\ up|subscribe)\b.{0,60} | retrieved\ from\b.*
      | \d{1,2}:\d{2}(?::\d{2})? | [a-z]{1,4}(?:/[a-z]{1,4})+\s*(?:\([^)]{0,60}\))? | \|+ | [-=_*]{3,}
      | (?:image|photo|video)\s*:.{0,120} | read\ more.{0,60} | print | e-?mail | advertisement
      | line\ \d{1,6}:(?:\s{0,4}line\ \d{1,6}:)?
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Spans inside a line that are markup or furniture.
_CRUFT_INLINE = re.compile(
    r"</?[A-Za-z][A-Za-z0-9-]{0,30}(?:\s[^<>]{0,400})?/?>"
    r"|\[\s{0,3}edit\s{0,3}\]|(?<=[a-z.])Image: [^\n]{0,120}$|&[a-z]{2,8};|&#\d{1,6};",
    re.IGNORECASE | re.MULTILINE,
)
_KV_LINE = re.compile(r"^[ \t]{0,8}[-*•][ \t]{0,4}[A-Za-z][\w /()&'-]{0,40}:[ \t]{0,8}\S")
_WIKI_KV = re.compile(r"^\s*\|\s*([A-Za-z][\w ]{0,40}?)\s*=\s*(.*?)\s*$")
_PIPE_ROW = re.compile(r"\|[^\n]*\|")
_REF_ENTRY = re.compile(r"^\s*(?:\^\s*)?(\d{1,4})[.)]\s+\S")
_REF_MARKER = re.compile(r"\[\d{1,4}\]")
_REF_HEADINGS = re.compile(r"^(?:references|notes|citations|sources|footnotes|bibliography)$", re.IGNORECASE)
_RELATED_HEADINGS = re.compile(
    r"^(?:related(?: research)? articles|see also|related (?:stories|articles|content|topics)|more stories.*"
    r"|you (?:may|might) also like|recommended.*|further reading|external links|more from.*|top stor(?:y|ies).*)$",
    re.IGNORECASE,
)
# Page metadata a scraper leaves at the top: " date 2023-09-13 ", "Date:2025-04-18 09:04:25".
_WORD = re.compile(r"[A-Za-z'’]+")
_DATELINE = re.compile(r"\A\s{0,8}date\s{0,2}:?\s{0,2}\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?[ \t]", re.IGNORECASE)
_META_LINE = re.compile(r"^\s{0,8}(?:date|published|updated|posted(?: on)?)\s{0,2}:?\s{0,2}\d{4}-\d{2}-\d{2}[\dT: .+-]{0,20}$",
                        re.IGNORECASE)
# "PUBLISHED : Wednesday, 16 April, 2014, 11:07pm", "Updated: March 3, 2021 10:02 AM": a written stamp line
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")
_WRITTEN_META = re.compile(
    r"^\s{0,8}(?:published|updated|posted(?: on)?|last updated)\s{0,2}:?\s{0,2}(?:[A-Z][a-z]{2,8},?\s+)?"
    r"(?:(?P<d1>\d{1,2})\s+(?P<m1>[A-Z][a-z]{2,8})|(?P<m2>[A-Z][a-z]{2,8})\s+(?P<d2>\d{1,2})),?\s+(?P<y>\d{4})"
    r"[\dT:,.+\- ]{0,20}(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,5})?\s*$", re.IGNORECASE)
_BREADCRUMB = re.compile(r"\S\s{0,2}(?:>|»|›)\s{0,2}\S")
# A heading glued to the sentence after it ("AttackThe attack began"), seen only at a sentence start.
_GLUED_HEADING = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=[.!?]\"\s)|(?<=\]\s)|(?<=\])|(?<=[.!?]))"
    r"([A-Z][a-z]{3,}(?:\s(?:and|of|the|in|to)\s[a-z]+|\s[a-z]{3,}){0,3})(?=[A-Z][a-z]*['’\s])"
)
_TRAILING_HEADING = re.compile(
    r"(?<=[.!?\]])\s+((?:References|Notes|See also|External links|Further reading|Sources|Citations))\s*$"
)
_FIELD_MARKUP = re.compile(r"^[ \t]*\|[ \t]*[A-Za-z][\w .-]{0,40}=[ \t]*\S")  # "| key = value"
_LIST_ITEM = re.compile(r"^[-*•·–]\s+[^:=|]*$")  # a bullet with no "label:" or cell in it
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?:\s*\[\d+\])*\s*$")


@dataclass(frozen=True)
class Block:
    """A structural piece of a document: its kind, where it is, and the section it sits in."""

    kind: str
    span: Span
    section: str = ""


@dataclass(frozen=True)
class Hints:
    """Structure a format already knows (HTML, DOCX, Markdown): its title and which lines are headings or
    table rows. With hints, only hinted lines are headings; the rest is read as prose, lists and tables."""

    title: Span | None = None
    headings: frozenset[int] = frozenset()  # where heading lines start in the text
    tables: frozenset[int] = frozenset()  # where table-row lines start
    references: frozenset[int] = frozenset()  # where reference-list lines start
    structured: bool = True  # False: only the title is known, the rest is read by the usual heuristics
    cruft: tuple[Span, ...] = ()  # spans known to be furniture (markup, code, notes)
    notes: tuple[tuple[str, Span], ...] = ()  # reference notes found by the format (wikitext <ref>)


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    sha256: str
    title: str
    title_span: Span | None
    blocks: tuple[Block, ...]
    cruft: tuple[Span, ...]
    source: str = ""
    references: dict[str, Span] = field(default_factory=dict)
    dated: str = ""  # the page's own date line ("2023-09-13") when a scraper left one: when it was written
    format: str = "text"  # text | markdown | wikitext | html | pdf | docx
    original: bytes | None = field(default=None, repr=False, compare=False)  # the file, when it is not the text
    source_map: SourceMap = TEXT_MAP  # canonical offsets back into the original

    def content_blocks(self) -> list[Block]:
        """Blocks that may be chunked and quoted (everything but the title and headings)."""
        return [b for b in self.blocks if b.kind in (PROSE, INFOBOX, RELATED, REFERENCE)]


def doc_id_for(path: Path) -> str:
    return path.stem


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode(data: bytes, name: str) -> str:
    """Decode a document's bytes as UTF-8, rejecting binary and undecodable files by name."""
    if not data.strip():
        raise DocumentRejected(f"{name}: the file is empty")
    if b"\x00" in data:
        raise DocumentRejected(f"{name}: looks like a binary file (NUL bytes); only UTF-8 text is accepted")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentRejected(
            f"{name}: not valid UTF-8 (byte {exc.start}); convert it to UTF-8 text and ingest again"
        ) from None


def read_document(path: Path, *, max_bytes: int) -> Document:
    """Read one file into a Document, or raise DocumentRejected saying which file and why."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentRejected(f"{path}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentRejected(f"{path}: {size} bytes is over the {max_bytes}-byte limit (BOT_MAX_DOCUMENT_BYTES)")
    return document_from_bytes(doc_id_for(path), path.read_bytes(), name=str(path), suffix=path.suffix.lower())


def document_from_bytes(doc_id: str, data: bytes, *, name: str, suffix: str) -> Document:
    """A file's bytes, read the way its format (by its suffix) is read, into a Document."""
    if suffix == ".pdf":
        from bot.ingest import pdf

        text, source_map, meta_title = pdf.extract(data, name)
        at = text.find(meta_title, 0, 4000) if meta_title else -1
        hints = Hints(title=Span(at, at + len(meta_title)), structured=False) if at >= 0 else None
        return parse_document(doc_id, text, source=name, hints=hints, fmt="pdf", original=data, source_map=source_map)
    if suffix == ".docx":
        from bot.ingest import docx

        text, source_map, title, headings = docx.extract(data, name)
        title_span = next((Span(a, b) for a, b in headings if text[a:b].strip() == title), None)
        hints = Hints(title=title_span, headings=frozenset(a for a, _ in headings if title_span is None or a != title_span.start),
                      tables=frozenset(p.start for p in source_map.paragraphs if p.table is not None and p.cell in (0, None)))
        return parse_document(doc_id, text, source=name, hints=hints, fmt="docx", original=data, source_map=source_map)
    if suffix in (".html", ".htm"):
        from bot.ingest import html

        text, source_map, title, headings, tables, refs = html.extract(data, name)
        hints = Hints(title=Span(*title) if title else None, headings=frozenset(headings), tables=frozenset(tables),
                      references=frozenset(refs))
        return parse_document(doc_id, text, source=name, hints=hints, fmt="html", original=data, source_map=source_map)
    text = decode(data, name)
    if suffix in (".md", ".markdown"):
        from bot.ingest import markdown

        title, headings, rows = markdown.structure(text)
        hints = Hints(title=title, headings=frozenset(headings), tables=frozenset(rows))
        return parse_document(doc_id, text, source=name, hints=hints, fmt="markdown")
    from bot.ingest import wikitext

    if wikitext.looks_like_wikitext(text):
        spans, notes = wikitext.furniture(text)
        hints = Hints(structured=False, cruft=tuple(spans), notes=tuple(notes.items()))
        return parse_document(doc_id, text, source=name, hints=hints, fmt="wikitext")
    return parse_document(doc_id, text, source=name)


def parse_document(doc_id: str, text: str, *, source: str = "", hints: Hints | None = None, fmt: str = "text",
                   original: bytes | None = None, source_map: SourceMap = TEXT_MAP) -> Document:
    """Find title, infobox, sections, references and cruft in `text` without changing it. Formats that know
    their structure pass `hints`; formats whose text is extracted pass the original bytes and the map back."""
    if not is_valid_doc_id(doc_id):
        raise DocumentRejected(f"{doc_id!r}: a document id is a file name without '/', '\\', control characters or a leading '.'")
    parsed = _Parser(text, hints).run()
    if not any(b.kind in (PROSE, INFOBOX, RELATED) for b in parsed.blocks):
        raise DocumentRejected(f"{source or doc_id}: no readable content (the file is empty or all page furniture)")
    return Document(
        doc_id=doc_id,
        text=text,
        sha256=sha256_text(text),
        title=parsed.title or _derived_title(text, parsed.blocks),
        title_span=parsed.title_span,
        blocks=tuple(parsed.blocks),
        cruft=tuple(parsed.cruft),
        source=source,
        references=parsed.references,
        dated=parsed.dated,
        format=fmt,
        original=original,
        source_map=source_map,
    )


def _derived_title(text: str, blocks: list[Block]) -> str:
    """A page without a title line is named by the start of its first sentence (never by its file name)."""
    first = next((b for b in sorted(blocks, key=lambda b: b.span) if b.kind in (PROSE, INFOBOX)), None)
    if first is None:
        return "Untitled document"
    words = first.span.of(text).split()
    if words and words[0].lower().startswith("date") and _DATELINE.match(first.span.of(text)):
        words = _DATELINE.sub("", first.span.of(text), count=1).split()
    head = " ".join(words[:12])
    return head + ("…" if len(words) > 12 else "")


_DOC_ID = re.compile(r"^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]{0,199}$")
# Characters that make an id read differently from what it is: zero-width, direction overrides and isolates.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\ud800-\udfff]")


def is_valid_doc_id(doc_id: str) -> bool:
    """File-name-like ids: no path separators, control, zero-width or direction characters, no leading dot
    (so no '..')."""
    return bool(_DOC_ID.match(doc_id)) and doc_id.strip() == doc_id and not _INVISIBLE.search(doc_id)


def iter_files(paths: list[Path]) -> list[Path]:
    """Expand folders into their supported files, in a stable order. A symbolic link inside a folder is
    followed only when it stays inside that folder (a link to /etc/passwd is not a document of the folder)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            root = path.resolve()
            for p in sorted(path.rglob("*")):
                if not p.is_file() or p.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                if p.resolve().is_relative_to(root):
                    found.append(p)
        else:
            found.append(path)
    return found


@dataclass
class _Line:
    start: int
    end: int
    text: str  # the line with inline cruft blanked out (same length as the original)

    @property
    def stripped(self) -> str:
        return self.text.strip()

    @property
    def words(self) -> int:
        return len(self.stripped.split())


@dataclass
class _Parsed:
    title: str = ""
    title_span: Span | None = None
    blocks: list[Block] = field(default_factory=list)
    cruft: list[Span] = field(default_factory=list)
    references: dict[str, Span] = field(default_factory=dict)
    dated: str = ""


def _is_prose(line: str) -> bool:
    words = line.split()
    if len(words) >= 12:
        return True
    return len(words) >= 5 and bool(_SENTENCE_END.search(line)) and not line.lstrip().startswith(("-", "|"))


class _Heading:
    """A heading parsed without a backtracking pattern: `= Title =`, `== Section ==`, `# Section`."""

    def __init__(self, name: str, level: int, offset: int):
        self.name, self.level, self.offset = name, level, offset  # offset: where the name starts in the line

    def group(self, n: int) -> str:
        return self.name if n in (1, 2) else ""


def _wiki_heading(line: str, *, title: bool = False) -> _Heading | None:
    """`== Name ==` (levels 2-6), or with `title` the page title `= Name =`."""
    s = line.strip()
    lead = len(s) - len(s.lstrip("="))
    trail = len(s) - len(s.rstrip("="))
    if lead != trail or not (lead == 1 if title else 2 <= lead <= 6):
        return None
    name = s[lead : len(s) - trail].strip()
    if not name or name.startswith("=") or name.endswith("="):
        return None
    return _Heading(name, lead, line.index(name))


def _md_heading(line: str) -> _Heading | None:
    """`# Name` (levels 1-6), closing hashes allowed."""
    s = line.lstrip()
    level = len(s) - len(s.lstrip("#"))
    if not 1 <= level <= 6 or len(s) == level or not s[level].isspace():
        return None
    name = s[level:].strip().rstrip("#").strip()
    return _Heading(name, level, line.index(name)) if name else None


def _cruft_spans(text: str) -> list[tuple[int, int]]:
    """Comments, scripts and styles, found by scanning forward once; one left open runs to the end of the text."""
    out = []
    low = text.lower()
    pos = 0
    while True:
        starts = [(low.find("<!--", pos), "-->"), (low.find("<script", pos), "</script"), (low.find("<style", pos), "</style")]
        starts = [(i, closer) for i, closer in starts if i >= 0]
        if not starts:
            break
        i, closer = min(starts)
        j = low.find(closer, i + 4)
        if j < 0:
            out.append((i, len(text)))
            break
        end = low.find(">", j) + 1 if closer != "-->" else j + 3
        end = end if end > j else j + len(closer)
        out.append((i, end))
        pos = end
    return out


def _written_stamp(line: str) -> str | None:
    """The ISO date of a 'Published: 16 April, 2014, 11:07pm' stamp line, else None: the page's date (the line
    stays text: a reader may ask when the article was published)."""
    m = _WRITTEN_META.match(line)
    if not m:
        return None
    month = (m.group("m1") or m.group("m2")).lower()
    number = next((i for i, name in enumerate(_MONTH_NAMES, 1) if name.startswith(month[:3]) and month in name), None)
    day = int(m.group("d1") or m.group("d2"))
    if number is None or not 1 <= day <= 31:
        return None
    return f"{m.group('y')}-{number:02d}-{day:02d}"


def _has_digit(line: str) -> bool:
    return any(ch.isdigit() for ch in line)


def _is_field_line(line: str) -> bool:
    """A short line that is not a sentence: an infobox label, value, or both ("Depth 10.0 km (6 mi)")."""
    return 0 < len(line.split()) <= 14 and not _SENTENCE_END.search(line) or bool(_KV_LINE.match(line))


def _field_runs(lines: list[_Line]) -> set[int]:
    """Indexes of lines in runs of at least four field lines, two of them with figures and two not bare list
    items: an infobox or a data table rendered as lines, not a series of headings or a bulleted list of notes
    ("• 450,000 homes destroyed with another 350,000 damaged")."""
    out: set[int] = set()
    run: list[int] = []
    for n, ln in enumerate(lines + [None]):
        if ln is not None and _is_field_line(ln.stripped) and not _wiki_heading(ln.text) and not _md_heading(ln.text):
            run.append(n)
            continue
        labelled = sum(not _LIST_ITEM.match(lines[i].stripped) for i in run)
        if len(run) >= 4 and sum(_has_digit(lines[i].stripped) for i in run) >= 2 and labelled >= 2:
            out.update(run)
        run = []
    return out


def _section_kind(heading: str) -> str:
    if _REF_HEADINGS.match(heading):
        return REFERENCE
    return RELATED if _RELATED_HEADINGS.match(heading) else PROSE


def _is_breadcrumb(line: str) -> bool:
    """A single glued token such as 'ConflictsMali': site navigation, not a title."""
    s = line.strip()
    return " " not in s and bool(re.search(r"[a-z][A-Z]", s)) and len(s) < 40


class _Parser:
    def __init__(self, text: str, hints: Hints | None = None):
        self.text = text
        self.hints = hints
        self.out = _Parsed()
        self._counts: Counter | None = None
        self._last_reference: str | None = None
        self.lines = self._lines()

    def _lines(self) -> list[_Line]:
        text = self.text
        blanked = list(text)
        spans = _cruft_spans(text)
        if self.hints is not None and self.hints.cruft:
            spans = sorted(spans + [(c.start, c.end) for c in self.hints.cruft])
            merged: list[tuple[int, int]] = []
            for a, b in spans:
                if merged and a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                else:
                    merged.append((a, b))
            spans = merged
        kept, pos = [], 0
        for a, b in spans:
            kept.append((pos, a))
            pos = b
        kept.append((pos, len(text)))
        found = list(spans)
        for a, b in kept:
            found.extend(m.span() for m in _CRUFT_INLINE.finditer(text, a, b))
        for a, b in sorted(found):
            self.out.cruft.append(Span(a, b))
            for i in range(a, b):
                if blanked[i] != "\n":
                    blanked[i] = " "
        dateline = _DATELINE.match(text)
        if dateline:
            self.out.cruft.append(Span(*strip_span(text, 0, dateline.end())))
            self.out.dated = re.search(r"\d{4}-\d{2}-\d{2}", dateline.group(0)).group(0)
            for i in range(dateline.end()):
                if blanked[i] != "\n":
                    blanked[i] = " "
        masked = "".join(blanked)
        lines = []
        pos = 0
        for raw in text.splitlines(keepends=True):
            body = raw.rstrip("\r\n")
            lines.append(_Line(pos, pos + len(body), masked[pos : pos + len(body)]))
            pos += len(raw)
        return lines

    def _cruft_line(self, line: _Line) -> None:
        s, e = strip_span(self.text, line.start, line.end)
        if s < e:
            self.out.cruft.append(Span(s, e))

    def _span(self, start: int, end: int) -> Span | None:
        s, e = strip_span(self.text, start, end)
        return Span(s, e) if s < e else None

    def _add(self, kind: str, start: int, end: int, section: str) -> None:
        span = self._span(start, end)
        if span is not None:
            self.out.blocks.append(Block(kind, span, section))

    def run(self) -> _Parsed:
        lines = [ln for ln in self.lines if ln.stripped]
        for ln in lines:
            if _META_LINE.match(ln.stripped) and not self.out.dated:
                self.out.dated = re.search(r"\d{4}-\d{2}-\d{2}", ln.stripped).group(0)
            written = _written_stamp(ln.stripped)
            if written is not None and not self.out.dated:
                self.out.dated = written
            if (_CRUFT_LINE.match(ln.stripped) or _META_LINE.match(ln.stripped)) and not _REF_HEADINGS.match(ln.stripped):
                ln.text = ""
                self._cruft_line(ln)
        lines = [ln for ln in lines if ln.stripped]
        lines = self._footer_cruft(lines)
        if self.hints is not None and self.hints.structured:
            self._hinted(lines)
        else:
            if self.hints is not None and self.hints.title is not None:
                self._set_title(self.hints.title.start, self.hints.title.end)
                i = 0
            else:
                i = self._title(lines)
            i = self._lead(lines, i)
            self._body(lines[i:])
        if self.hints is not None:
            self.out.references.update(dict(self.hints.notes))
        self._mark_trailing_related()
        self.out.cruft.sort()
        self.out.blocks.sort(key=lambda b: b.span)
        return self.out

    def _footer_cruft(self, lines: list[_Line]) -> list[_Line]:
        """Short lines stranded between page furniture and the end of the page are furniture too."""
        kept = list(lines)
        while kept and kept[-1].words <= 6 and not _SENTENCE_END.search(kept[-1].stripped):
            last = kept[-1]
            nxt_is_cruft = max((c.start for c in self.out.cruft), default=-1) >= last.end
            if not nxt_is_cruft or _REF_HEADINGS.match(last.stripped) or _FIELD_MARKUP.match(last.text):
                break  # "| popular_vote3 = 27,040,878": an infobox field, though the page ends after it
            self._cruft_line(last)
            kept.pop()
        return kept

    def _title(self, lines: list[_Line]) -> int:
        for i, ln in enumerate(lines[:8]):
            s = ln.stripped
            m = _wiki_heading(ln.text, title=True)
            if m:
                start = ln.start + ln.text.index(m.group(1))
                self._set_title(start, start + len(m.group(1)))
                return i + 1
            if _is_breadcrumb(s) or not re.search(r"[^\W\d_]", s):
                self._cruft_line(ln)
                continue
            if _BREADCRUMB.search(s) and i == 0 and i + 1 < len(lines) and len(lines[i + 1].stripped.split()) <= 15:
                self._cruft_line(ln)  # "Home > News > ..." above the headline
                continue
            if _PIPE_ROW.search(ln.text) or s.endswith("|"):
                cell = ln.text.split("|")[0]
                if cell.strip():
                    start = ln.start + len(cell) - len(cell.lstrip())
                    self._set_title(start, start + len(cell.strip()))
                    self._add(INFOBOX, ln.start, ln.end, "")
                    return i + 1
            if ln.words <= 15 and not _SENTENCE_END.search(s) and not _KV_LINE.match(ln.text):
                start = ln.start + len(ln.text) - len(ln.text.lstrip())
                self._set_title(start, start + len(s))
                return i + 1
            break
        return 0

    def _set_title(self, start: int, end: int) -> None:
        self.out.title_span = Span(start, end)
        self.out.title = self.text[start:end]

    def _lead(self, lines: list[_Line], i: int) -> int:
        """Everything between the title and the first prose paragraph: infobox lines or a lead paragraph."""
        j = i
        infobox_marker = False
        depth = 0  # braces an "{{Infobox" template has open: its lines are the infobox, however long
        repeated_title: set[int] = set()
        while j < len(lines):
            ln = lines[j]
            s = ln.stripped
            if s.lower().startswith("{{infobox") and depth <= 0:
                infobox_marker, depth = True, 0
            if depth > 0 or s.lower().startswith("{{infobox"):
                depth += s.count("{{") - s.count("}}")
                if not _wiki_heading(ln.text):
                    j += 1
                    continue
            if _is_prose(s) and not _PIPE_ROW.search(ln.text) and not _KV_LINE.match(ln.text):
                if not s.startswith("{{"):
                    break
            if s.lower() in ("infobox", "{{infobox"):
                infobox_marker = True
            if s == self.out.title or _wiki_heading(ln.text):
                if s == self.out.title:
                    self._cruft_line(ln)
                    repeated_title.add(j)
                    j += 1
                    continue
                break
            j += 1
        lead = [ln for k, ln in enumerate(lines[i:j], start=i) if k not in repeated_title]
        labelled = sum(1 for ln in lead if _KV_LINE.match(ln.text) or _PIPE_ROW.search(ln.text))
        short = [ln for ln in lead if _is_field_line(ln.stripped)]
        is_infobox = infobox_marker or labelled >= 2 or (len(short) >= 3 and sum(_has_digit(ln.stripped) for ln in short) >= 2)
        for ln in lead:
            if ln.stripped.lower() == "infobox":
                self._cruft_line(ln)
            elif is_infobox:
                self._add(INFOBOX, ln.start, ln.end, "")
            elif ln.words >= 3:
                self._add(PROSE, ln.start, ln.end, "")
        return j

    def _hinted(self, lines: list[_Line]) -> None:
        """Structure from the format: the hinted title, headings as sections, table rows as infobox lines,
        reference lines as references, and everything else prose."""
        h = self.hints
        if h.title is not None:
            self._set_title(h.title.start, h.title.end)
        section, kind = "", PROSE
        for ln in lines:
            if h.title is not None and ln.start <= h.title.start < max(ln.end, ln.start + 1):
                continue
            if ln.start in h.headings:
                md = _md_heading(ln.text)
                name = " ".join((md.name if md else ln.stripped).split())
                self.out.blocks.append(Block(HEADING, Span(*strip_span(self.text, ln.start, ln.end)), name))
                section, kind = name, _section_kind(name)
                continue
            if ln.start in h.tables:
                self._add(INFOBOX, ln.start, ln.end, section)
            elif ln.start in h.references or kind == REFERENCE:
                self._reference(ln, section or "References")
            else:
                self._add(kind, ln.start, ln.end, section)

    def _body(self, lines: list[_Line]) -> None:
        section = ""
        kind = PROSE
        in_infobox, depth = False, 0
        table = _field_runs(lines)
        for n, ln in enumerate(lines):
            s = ln.stripped
            if s.lower().startswith("{{infobox") and not in_infobox:
                in_infobox, depth = True, 0
            if in_infobox and (_wiki_heading(ln.text) or _md_heading(ln.text)):
                in_infobox = False  # a template left open (a page cut short) ends at the next section
            if in_infobox:
                # open until its own braces close: a value's inline template ("{{efn|...}}") closes only itself
                self._add(INFOBOX, ln.start, ln.end, section)
                depth += s.count("{{") - s.count("}}")
                if depth <= 0:
                    in_infobox = False
                continue
            if n in table and kind != REFERENCE:
                self._add(INFOBOX, ln.start, ln.end, section)
                continue
            heading = self._heading(ln)
            if heading is not None:
                if kind == RELATED and not (_REF_HEADINGS.match(heading) or _wiki_heading(ln.text)):
                    continue
                section = heading
                kind = _section_kind(heading)
                continue
            if kind == REFERENCE:
                self._reference(ln, section)
                continue
            self._prose_line(ln, section, kind)

    def _heading(self, ln: _Line) -> str | None:
        m = _wiki_heading(ln.text) or _md_heading(ln.text)
        if m:
            name = m.group(2).strip()
        else:
            s = ln.stripped
            if ln.words > 8 or _SENTENCE_END.search(s) or s.endswith((",", ";", ":")) or not s[:1].isupper():
                return None
            if not self.text[ln.end :].strip() and ln.words >= 4:
                return None  # nothing follows it: the last line of a page cut short, not a heading
            if _PIPE_ROW.search(s) or _KV_LINE.match(ln.text) or _REF_ENTRY.match(ln.text):
                return None
            name = s
        start = ln.start + ln.text.index(name)
        name = " ".join(name.split())
        self.out.blocks.append(Block(HEADING, Span(*strip_span(self.text, start, ln.end)), name))
        return name

    def _reference(self, ln: _Line, section: str) -> None:
        m = _REF_ENTRY.match(ln.text)
        span = self._span(ln.start, ln.end)
        if span is None:
            return
        self.out.blocks.append(Block(REFERENCE, span, section))
        if m:
            self.out.references[m.group(1)] = span
            self._last_reference = m.group(1)
        elif self._last_reference is not None:
            last = self._last_reference
            self.out.references[last] = Span(self.out.references[last].start, span.end)

    def _word_counts(self) -> Counter:
        """How often each word occurs in the document, counted once (a glued heading is a word seen once)."""
        if self._counts is None:
            self._counts = Counter(_WORD.findall(self.text))
        return self._counts

    def _prose_line(self, ln: _Line, section: str, kind: str) -> None:
        """Add a prose line, splitting off headings glued to the following sentence."""
        text = ln.text
        cuts: list[tuple[int, int, str]] = []
        for m in _GLUED_HEADING.finditer(text):
            word = m.group(1)
            glued = _WORD.match(text, m.end(1))
            token = word.split()[-1] + (glued.group(0) if glued else "")
            if m.start(1) == 0 and not cuts and not self._looks_glued(token):
                continue
            if self._word_counts()[token] > 1:
                continue
            cuts.append((m.start(1), m.end(1), word))
        t = _TRAILING_HEADING.search(text)
        if t:
            cuts.append((t.start(1), t.end(1), t.group(1)))
        pos = 0
        for start, end, name in cuts:
            self._add(kind, ln.start + pos, ln.start + start, section)
            self.out.blocks.append(Block(HEADING, Span(ln.start + start, ln.start + end), name))
            section = name
            kind = _section_kind(name)
            pos = end
        self._add(kind, ln.start + pos, ln.end, section)

    @staticmethod
    def _looks_glued(token: str) -> bool:
        return bool(re.match(r"[A-Z][a-z]{3,}[A-Z][a-z]", token))

    def _mark_trailing_related(self) -> None:
        """In a page that cites its sources ([n] markers), unreferenced paragraphs after the last cited one
        are blurbs about other pages (wiki mirrors append them without a heading)."""
        blocks = self.out.blocks
        prose_idx = [i for i, b in enumerate(blocks) if b.kind == PROSE]
        cited = [i for i in prose_idx if _REF_MARKER.search(blocks[i].span.of(self.text))]
        if len(cited) < 3:
            return
        trailing = [i for i in prose_idx if i > cited[-1]]
        if len(trailing) < 2:
            return
        for i in trailing:
            b = blocks[i]
            blocks[i] = Block(RELATED, b.span, b.section or "Related articles")
