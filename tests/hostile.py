"""Hostile documents for the complexity test: each generator makes a text of about `size` characters that
once made a stage of ingestion quadratic or worse (a run of spaces in a heading, figures without end, an
unclosed comment, ...). Shared by tests/test_complexity.py and scripts/bench.py."""

from __future__ import annotations

from collections.abc import Callable


def _repeat(unit: str, size: int, head: str = "Title\n\n", tail: str = "") -> str:
    return head + unit * max(1, size // len(unit)) + tail


GENERATORS: dict[str, Callable[[int], str]] = {
    "markdown heading with a run of spaces": lambda n: "# a" + " " * n + "b\n\nSome text follows here in a sentence.\n",
    "wiki heading with a long name": lambda n: "Title\n\n== " + "x " * (n // 2) + "==\nText after it, in a sentence.\n",
    "figures separated by commas": lambda n: _repeat("1,234,", n),
    "casualty clauses without a sentence end": lambda n: _repeat("12 soldiers killed, ", n),
    "the same verb over and over": lambda n: _repeat("killed ", n),
    "one line of words with no sentence end": lambda n: _repeat("word ", n),
    "nested template braces": lambda n: _repeat("{{", n),
    "a run of capitalised words": lambda n: _repeat("Alpha Bravo ", n),
    "event phrases repeated": lambda n: _repeat("for the attack on Xville ", n),
    "unclosed script tag": lambda n: _repeat("<script ", n // 2) + _repeat("a", n // 2, head=""),
    "unclosed comments": lambda n: _repeat("<!-- ", n),
    "reference list continuation lines": lambda n: "Title\n\nSome prose sentence here for the body.\n\nReferences\n\n"
                                                   "1. First reference entry.\n" + "continued reference line\n" * (n // 25),
    "many short prose lines": lambda n: _repeat("The army said ten men died.\n", n),
    "inline tags": lambda n: _repeat("<b>bold</b> text <i>it</i> ", n),
    "glued headings": lambda n: _repeat("AttackThe attack began at dawn. ", n),
    "ordinary prose": lambda n: _repeat("On May 2, 2021, rebels attacked the army camp at Foo, killing 12 soldiers, "
                                        "the army said in a statement on Monday. ", n),
    "label lines": lambda n: _repeat("Casualties 12 killed, 4 wounded\n", n),
    "pipe table rows": lambda n: _repeat("Strength | 100 | ~200 |\n", n),
}


def ingest_work(text: str, tokens) -> int:
    """Everything ingestion does to a text before the model sees it: parse, split, chunk, extract facts."""
    from bot.chunking import chunk_document, split_sentences
    from bot.facts.domains import enabled
    from bot.facts.extract import extract_facts
    from bot.ingest import parse_document

    doc = parse_document("hostile", text)
    sentences = split_sentences(doc)
    chunks = chunk_document(doc, tokens, max_tokens=200, sentences=sentences)
    facts = extract_facts(doc, sentences, domains=enabled("conflict"))
    return len(chunks) + len(facts)
