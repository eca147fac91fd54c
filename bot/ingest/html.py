"""HTML -> canonical text: the page's main content, as a reader sees it.

Navigation, scripts, styles, forms, footers, cookie banners, menus (blocks mostly made of links), and the
furniture of wiki pages (edit links, navigation boxes, categories) are left out, as boilerplate-removal
libraries do; the title comes from the page's <h1>, og:title or <title>; headings become sections, list
items and paragraphs blocks, tables rows of cells separated by " | ", a wiki infobox an infobox. The page is
read with the standard library's tokenizer, which reports where each piece of text sits in the raw page,
so every canonical character keeps the byte range it came from."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import numpy as np

from bot.errors import DocumentRejected
from bot.ingest.locators import SourceMap

_SKIP = {"script", "style", "noscript", "template", "svg", "iframe", "canvas", "object", "select", "button", "form",
         "nav", "footer", "aside", "input", "textarea", "math", "head"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
          "table", "tr", "thead", "tbody", "tfoot", "blockquote", "pre", "figure", "figcaption", "dl", "dt", "dd",
          "br", "hr", "caption", "address", "center", "title", "details", "summary"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "source", "wbr", "area", "base", "col", "embed", "param", "track"}
_BOILERPLATE_WORDS = (
    r"nav|navbar|navigation|menu|menus|footer|sidebar|cookie|cookies|consent|banner|breadcrumbs?|share|sharing|"
    r"social|related|comments?|advert|advertisement|ads|sponsor|subscribe|newsletter|promo|toc|catlinks|jump|"
    r"printfooter|navbox|sister|editsection|noprint|masthead|skip|donate|donation|widget|popup|modal|"
    r"languages?|interlanguage|indicators|hatnote|shortdescription|portlet|toolbar|authority|metadata|search"
)
# a class or id token naming boilerplate, with at most one prefix ("site-footer", "mw-navigation", "footer-info")
_BOILERPLATE = re.compile(rf"(?:[a-z0-9]+[-_])?(?:{_BOILERPLATE_WORDS})(?:[-_][a-z0-9]+)*", re.IGNORECASE)
_REFERENCES = re.compile(r"(?:^|[\s_-])(?:references|reflist|footnotes|citation-list)(?:$|[\s_-])", re.IGNORECASE)
_INFOBOX = re.compile(r"(?:^|\s)infobox(?:$|\s)", re.IGNORECASE)
_CHARSET = re.compile(rb"<meta[^>]{0,200}charset\s*=\s*[\"']?([A-Za-z0-9_-]{1,40})", re.IGNORECASE)


@dataclass
class _Block:
    kind: str  # "p" | "h" | "row" | "ref" | "title"
    chars: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # raw character offset where each character starts
    ends: list[int] = field(default_factory=list)
    link_chars: int = 0
    links: int = 0
    infobox: bool = False

    def text(self) -> str:
        return "".join(self.chars)


class _Reader(HTMLParser):
    def __init__(self, raw: str):
        super().__init__(convert_charrefs=False)
        self.raw = raw
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\n", raw)]
        self.stack: list[tuple[str, bool, bool, bool]] = []  # (tag, skipped, in references, in infobox)
        self.blocks: list[_Block] = []
        self.current: _Block | None = None
        self.title: _Block | None = None
        self.in_title = False
        self.og_title = ""
        self.links = 0
        self.row: list[_Block] = []
        self.in_cell = False

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _flags(self) -> tuple[bool, bool]:
        return (bool(self.stack) and self.stack[-1][2], bool(self.stack) and self.stack[-1][3])

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "meta" and a.get("property", "").lower() == "og:title":
            self.og_title = a.get("content", "").strip()
        if tag == "title" and not self._skipped_outside_head():
            self.in_title = True
            self.title = _Block("title")
            return
        if tag in _VOID:
            if tag == "br" and self.current is not None and not self._skipped():
                self._add(" ", self._pos(), self._pos() + 4)
            return
        classes = f"{a.get('class', '')} {a.get('id', '')} {a.get('role', '')}"
        parent_skip = self._skipped()
        refs, infobox = self._flags()
        boilerplate = any(_BOILERPLATE.fullmatch(token) for token in classes.split())
        skip = parent_skip or tag in _SKIP or boilerplate or a.get("aria-hidden") == "true" \
            or "display:none" in a.get("style", "").replace(" ", "")
        if tag in ("html", "body", "main", "article"):
            skip = parent_skip  # the page itself and its own content, whatever their classes say
        refs = refs or bool(_REFERENCES.search(classes))
        infobox = infobox or (tag == "table" and bool(_INFOBOX.search(classes)))
        self.stack.append((tag, skip, refs, infobox))
        if skip:
            return
        if tag == "a":
            self.links += 1
            if self.current is not None:
                self.current.links += 1
        if tag == "tr":
            self._close()
            self.row = []
        elif tag in ("td", "th"):
            self.in_cell = True
            self.current = _Block("row", infobox=infobox)
            self.row.append(self.current)
        elif tag in _BLOCK and not self.in_cell:
            self._close()
            kind = "h" if re.fullmatch(r"h[1-6]", tag) else "ref" if refs else "p"
            self.current = _Block(kind, infobox=infobox)
            if tag == "h1":
                self.current.kind = "h1"

    def _skipped_outside_head(self) -> bool:
        return any(t != "head" and s for t, s, _, _ in self.stack)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.in_title:
            self.in_title = False
            return
        if not any(t == tag for t, *_ in self.stack):
            return
        while self.stack:
            t, skip, _, _ = self.stack.pop()
            if t == "a" and not skip:
                self.links -= 1
            if t in ("td", "th") and not skip:
                self.in_cell = False
            if t == "tr" and not skip:
                self._close_row()
            if t == tag:
                break
        if tag in _BLOCK and not self.in_cell and not self._skipped():
            self._close()

    def handle_data(self, data: str) -> None:
        start = self._pos()
        target = self.title if self.in_title else (None if self._skipped() else self.current)
        if target is None:
            if self.in_title or self._skipped() or not data.strip():
                return
            self.current = target = _Block("ref" if self._flags()[0] else "p", infobox=self._flags()[1])
        for i, ch in enumerate(data):
            self._add_to(target, ch, start + i, start + i + 1)

    def handle_entityref(self, name: str) -> None:
        self._ref(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._ref(f"&#{name};")

    def _ref(self, written: str) -> None:
        start = self._pos()
        end = start + len(written) if self.raw.startswith(written, start) else start + len(written) - 1
        target = self.title if self.in_title else (None if self._skipped() else self.current)
        if target is None:
            return
        for ch in html.unescape(written):
            self._add_to(target, ch, start, end)

    def _add(self, ch: str, start: int, end: int) -> None:
        self._add_to(self.current, ch, start, end)

    def _add_to(self, block: _Block, ch: str, start: int, end: int) -> None:
        if ch.isspace():
            if not block.chars or block.chars[-1] == " ":
                return
            ch = " "
        block.chars.append(ch)
        block.starts.append(start)
        block.ends.append(end)
        if self.links > 0 and block is self.current:
            block.link_chars += 1

    def _close(self) -> None:
        if self.current is not None and self.current.kind != "row" and "".join(self.current.chars).strip():
            self.blocks.append(self.current)
        if self.current is not None and self.current.kind != "row":
            self.current = None

    def _close_row(self) -> None:
        cells = [c for c in self.row if c.text().strip()]
        if cells:
            row = _Block("row", infobox=any(c.infobox for c in cells))
            for k, cell in enumerate(cells):
                while cell.chars and cell.chars[-1] == " ":
                    for lst in (cell.chars, cell.starts, cell.ends):
                        lst.pop()
                if k:
                    for ch in " | ":
                        row.chars.append(ch)
                        row.starts.append(cell.starts[0])
                        row.ends.append(cell.starts[0])
                row.chars += cell.chars
                row.starts += cell.starts
                row.ends += cell.ends
                row.link_chars += cell.link_chars
            self.blocks.append(row)
        self.row = []
        self.current = None


def decode_html(data: bytes) -> tuple[str, str]:
    """(text, charset) of a page's bytes: its byte-order mark or <meta charset>, else UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    m = _CHARSET.search(data[:4096])
    charset = m.group(1).decode("ascii").lower() if m else "utf-8"
    try:
        return data.decode(charset, errors="replace"), charset
    except LookupError:
        return data.decode("utf-8", errors="replace"), "utf-8"


def _boilerplate(block: _Block) -> bool:
    """A block that is mostly link text and short (a menu, a list of links), as jusText judges them."""
    text = block.text().strip()
    words = len(text.split())
    return block.kind in ("p", "ref") and words < 40 and block.links >= 2 and block.link_chars > 0.5 * max(1, len(text))


def extract(data: bytes, name: str) -> tuple[str, SourceMap, tuple[int, int] | None, set[int], set[int], set[int]]:
    """(canonical text, source map, title range, heading starts, table-row starts, reference starts)."""
    raw, charset = decode_html(data)
    reader = _Reader(raw)
    try:
        reader.feed(raw)
        reader.close()
    except Exception as exc:  # the tokenizer is lenient; a page it cannot read at all is rejected
        raise DocumentRejected(f"{name}: not a readable HTML page ({exc})") from None
    reader._close()
    blocks = [b for b in reader.blocks if b.text().strip() and not _boilerplate(b)]
    h1 = next((b for b in blocks if b.kind == "h1"), None)
    title_block = h1
    if title_block is None and reader.title is not None and reader.title.text().strip():
        title_block = _trim_site_name(reader.title)
        blocks.insert(0, title_block)
    if not blocks:
        raise DocumentRejected(f"{name}: the page has no readable content")
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    headings, tables, refs = set(), set(), set()
    title_range = None
    pos = 0
    for k, b in enumerate(blocks):
        chars, s_list, e_list = list(b.chars), list(b.starts), list(b.ends)
        while chars and chars[0] == " ":
            chars, s_list, e_list = chars[1:], s_list[1:], e_list[1:]
        while chars and chars[-1] == " ":
            chars, s_list, e_list = chars[:-1], s_list[:-1], e_list[:-1]
        if not chars:
            continue
        if parts:
            sep = "\n" if b.kind == "row" and blocks[k - 1].kind == "row" else "\n\n"
            parts.append(sep)
            starts.extend([s_list[0]] * len(sep))
            ends.extend([s_list[0]] * len(sep))
            pos += len(sep)
        if b is title_block:
            title_range = (pos, pos + len(chars))
        elif b.kind in ("h", "h1"):
            headings.add(pos)
        elif b.kind == "row":
            tables.add(pos)
        elif b.kind == "ref":
            refs.add(pos)
        parts.append("".join(chars))
        starts.extend(s_list)
        ends.extend(e_list)
        pos += len(chars)
    text = "".join(parts)
    byte_of = _byte_offsets(raw, charset)
    source = SourceMap("html", byte_start=byte_of[np.array(starts, dtype=np.int64)].astype(np.int64),
                       byte_end=byte_of[np.array(ends, dtype=np.int64)].astype(np.int64))
    return text, source, title_range, headings, tables, refs


def _trim_site_name(title: _Block) -> _Block:
    """'Article name – Site name' -> 'Article name' (the longest part before the site's name)."""
    text = title.text()
    m = re.search(r"\s[–—|·-]\s[^–—|·]{1,60}$", text)
    if not m:
        return title
    cut = m.start()
    return _Block("title", title.chars[:cut], title.starts[:cut], title.ends[:cut])


def _byte_offsets(raw: str, charset: str) -> np.ndarray:
    """Byte offset of each character of `raw` (and of its end) in the encoded page."""
    enc = "utf-8" if charset in ("utf-8", "utf-8-sig", "utf8") else charset
    shift = 3 if charset == "utf-8-sig" else 0
    if enc == "utf-8":
        data = np.frombuffer(raw.encode("utf-8", errors="surrogatepass"), dtype=np.uint8)
        starts = np.flatnonzero((data & 0xC0) != 0x80)
        return np.append(starts, len(data)) + shift
    sizes = np.array([len(ch.encode(enc, errors="replace")) for ch in raw], dtype=np.int64)
    return np.concatenate([[0], np.cumsum(sizes)]) + shift
