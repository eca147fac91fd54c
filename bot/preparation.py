"""A document made ready for the index, before the model sees it: its sentences, chunks and facts.

`citebot ingest` prepares documents in its own process. The server prepares uploads in a separate worker
process with a time budget: parsing is pure Python, and in the server's process it would hold the
interpreter while questions wait; a document that cannot be prepared within the budget is rejected with a
reason, and the worker is replaced.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.chunking import Chunk, Sentence, Tokens, chunk_document, split_sentences
from bot.errors import DocumentRejected
from bot.facts.domains import Domain, enabled
from bot.facts.extract import extract_facts
from bot.facts.model import Fact
from bot.ingest import Document, document_from_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    doc: Document
    sentences: list[Sentence]
    chunks: list[Chunk]
    facts: list[Fact]
    recipe: str = ""  # recipe(...) of what prepared it


_RECIPE_CODE = ("ingest", "facts", "chunking.py", "preparation.py", "spans.py", "matching.py", "lexicon.py")


@lru_cache(maxsize=1)
def _code_hash() -> str:
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in _RECIPE_CODE:
        for f in sorted((root / name).rglob("*.py")) if (root / name).is_dir() else [root / name]:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def recipe(*, max_tokens: int, domains: Sequence[Domain]) -> str:
    """What a document's stored text, chunks and facts depend on besides its bytes: the code that reads and
    extracts (so an upgrade re-prepares documents instead of keeping an older extractor's facts), the chunk
    budget and the fact domain packs."""
    return hashlib.sha256(f"{_code_hash()}|{max_tokens}|{','.join(d.name for d in domains)}".encode()).hexdigest()[:16]


def prepare(doc: Document, tokens: Tokens, *, max_tokens: int, domains: Sequence[Domain]) -> Prepared:
    """Sentences, chunks and facts of one document; a failure in fact extraction costs the document its facts,
    not its ingestion (it is logged)."""
    sentences = split_sentences(doc)
    chunks = chunk_document(doc, tokens, max_tokens=max_tokens, sentences=sentences)
    try:
        facts = extract_facts(doc, sentences, domains=domains)
    except Exception:
        log.exception("fact extraction failed for %s; the document is indexed without facts", doc.doc_id)
        facts = []
    return Prepared(doc, sentences, chunks, facts, recipe(max_tokens=max_tokens, domains=domains))


def to_write(ready: Prepared, vectors: np.ndarray, sentence_vectors: list[np.ndarray], *, dim: int):
    """Everything a prepared, embedded document contributes to the index (a bot.store.DocumentWrite; imported
    here, not at the top, so the upload worker process does not load the index machinery)."""
    from bot.store import DocumentWrite

    d, chunks = ready.doc, ready.chunks
    return DocumentWrite(
        doc_id=d.doc_id, title=d.title, sha256=d.sha256, source=d.source, text=d.text,
        structure={**structure_of(d), "prepared_by": ready.recipe},
        chunks=chunks, vectors=vectors.reshape(len(chunks), dim),
        sentence_vectors=np.concatenate(sentence_vectors) if sentence_vectors else np.zeros((0, dim), np.float32),
        facts=ready.facts, format=d.format, original=d.original, source_map=d.source_map)


def structure_of(doc: Document) -> dict:
    """The document's structure as stored with it (spans only; the text is stored once)."""
    return {
        "title_span": [doc.title_span.start, doc.title_span.end] if doc.title_span else None,
        "blocks": [[b.kind, b.span.start, b.span.end, b.section] for b in doc.blocks],
        "cruft": [[c.start, c.end] for c in doc.cruft],
        "references": {k: [v.start, v.end] for k, v in doc.references.items()},
    }


_CHILD_TOKENS = {}


def _prepare_in_child(model_path: str, chunk_tokens: int, domain_names: str, doc_id: str, data: bytes,
                      suffix: str, source: str) -> Prepared:
    from bot.embedding import Embedder  # the tokenizer only: no model is loaded in the worker

    tokens = _CHILD_TOKENS.get(model_path)
    if tokens is None:
        tokens = _CHILD_TOKENS[model_path] = Embedder(model_path)
    doc = document_from_bytes(doc_id, data, name=source, suffix=suffix)
    return prepare(doc, tokens, max_tokens=min(chunk_tokens, tokens.max_tokens), domains=enabled(domain_names))


class Worker:
    """One child process that prepares uploads, one at a time; replaced when a document overruns its budget."""

    def __init__(self, model_path: str, *, chunk_tokens: int, domain_names: str):
        self.args = (model_path, chunk_tokens, domain_names)
        self._pool = None
        self._lock = threading.Lock()

    def _get(self):
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["bot.preparation"])
            self._pool = ctx.Pool(1)
        return self._pool

    def prepare(self, doc_id: str, data: bytes, *, suffix: str, source: str, budget: float) -> Prepared:
        with self._lock:
            pool = self._get()
            job = pool.apply_async(_prepare_in_child, (*self.args, doc_id, data, suffix, source))
            try:
                return job.get(timeout=budget)
            except multiprocessing.TimeoutError:
                pool.terminate()
                self._pool = None
                raise DocumentRejected(
                    f"{doc_id}: could not be processed within {budget:g} seconds (BOT_INGEST_TIMEOUT_SECONDS); "
                    "split it into smaller files") from None

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.terminate()
                self._pool = None
