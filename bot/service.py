"""The Bot: wires ingest, chunking, embedding, store, retrieval and answers. The API, CLI and
integrations call only this. One writer at a time; readers always see a complete index snapshot."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bot import answer as answers
from bot.chunking import Sentence, chunk_document, split_sentences
from bot.config import Settings
from bot.embedding import Embedder
from bot.errors import BadInput, BotError, DocumentRejected, Gone, NotFound, TooLarge
from bot.ingest import Document, is_valid_doc_id, iter_files, parse_document, read_document
from bot.retrieval import Retriever
from bot.spans import Span, verify_quote
from bot.store import DocumentWrite, IndexStore, Snapshot

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0
    seconds: float = 0.0


@dataclass
class Conversation:
    updated: float
    doc_ids: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    event: object = None  # the event being discussed (bot.facts.query.EventRef)


class Bot:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.embedder = Embedder(settings.model_path(), backend=settings.embedding_backend,
                                 batch_size=settings.embedding_batch_size, cache_dir=settings.cache_dir)
        self.store = IndexStore(settings.index_dir, identity=self.embedder.identity())
        self.retriever = Retriever(self.embedder)
        self._write_lock = threading.Lock()
        self._snap_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._pointer_stamp: int | None = None
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self._conv_lock = threading.Lock()

    # -- index lifecycle -------------------------------------------------------------------------

    def snapshot(self) -> Snapshot | None:
        """The current index; reloaded when another process (e.g. `citebot ingest`) switched it."""
        stamp = self._stamp()
        if self._snapshot is not None and stamp == self._pointer_stamp:
            return self._snapshot
        with self._snap_lock:
            stamp = self._stamp()
            if self._snapshot is None or stamp != self._pointer_stamp:
                self._snapshot = self.store.load()
                self._pointer_stamp = stamp
            return self._snapshot

    def _stamp(self) -> int | None:
        try:
            return (self.store.root / "CURRENT").stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _install(self, snap: Snapshot) -> None:
        with self._snap_lock:
            self._snapshot = snap
            self._pointer_stamp = self._stamp()

    def warm(self) -> None:
        """Load the model and index now rather than on the first question."""
        self.embedder.warm()
        self.snapshot()
        self.retriever.embed_question("warm up")

    def ensure_index(self, *, progress: bool = False) -> IngestReport | None:
        """Bring the index up to date with the seeds folder: builds it when empty, re-indexes changed files.
        Unchanged files are skipped by content hash, so an up-to-date index costs only a read of the seeds."""
        seeds = self.settings.seeds_dir
        if not seeds.is_dir():
            return None
        return self.ingest([seeds], progress=progress)

    def ingest(self, paths: list[Path], *, progress: bool = False) -> IngestReport:
        """Add or replace documents from files and folders; unchanged files are skipped, bad ones reported."""
        started = time.perf_counter()
        report = IngestReport()
        docs: list[Document] = []
        for path in iter_files([Path(p) for p in paths]):
            try:
                if not path.exists():
                    raise DocumentRejected(f"{path}: no such file")
                docs.append(read_document(path, max_bytes=self.settings.max_document_bytes))
            except DocumentRejected as exc:
                report.rejected.append((str(path), exc.message))
            except OSError as exc:
                report.rejected.append((str(path), f"{path}: cannot read ({exc.strerror})"))
        seen: dict[str, str] = {}
        unique: list[Document] = []
        for d in docs:
            if d.doc_id in seen:
                report.rejected.append((d.source, f"{d.source}: same document id {d.doc_id!r} as {seen[d.doc_id]}"))
                continue
            seen[d.doc_id] = d.source
            unique.append(d)
        self._write(unique, [], report, progress=progress)
        report.seconds = time.perf_counter() - started
        return report

    def add_text(self, doc_id: str, text: str) -> dict:
        """Ingest one document given as text (the upload endpoint): its status and chunk count."""
        report = IngestReport()
        if len(text.encode("utf-8")) > self.settings.max_document_bytes:
            raise TooLarge(f"document is over {self.settings.max_document_bytes} bytes (BOT_MAX_DOCUMENT_BYTES)")
        if "\x00" in text:
            raise DocumentRejected(f"{doc_id}: contains NUL characters; only text documents are accepted")
        if not text.strip():
            raise DocumentRejected(f"{doc_id}: the document is empty")
        doc = parse_document(doc_id, text, source=f"upload:{doc_id}")
        self._write([doc], [], report, progress=False)
        status = "added" if report.added else "updated" if report.updated else "unchanged"
        return {"doc_id": doc_id, "status": status, "chunks": self._require().documents[doc_id].chunks}

    def remove(self, doc_id: str) -> None:
        with self._write_lock, self.store.writing():
            snap = self.store.load()
            if snap is None or doc_id not in snap.documents:
                raise NotFound(f"no document {doc_id!r}; GET /documents lists them")
            self._install(self.store.write(snap, upserts=[], removals=[doc_id]))

    def _write(self, docs: list[Document], removals: list[str], report: IngestReport, *, progress: bool) -> None:
        with self._write_lock, self.store.writing():
            snap = self.store.load()
            changed: list[Document] = []
            for d in docs:
                info = snap.documents.get(d.doc_id) if snap is not None else None
                if info is not None and info.sha256 == d.sha256:
                    report.unchanged.append(d.doc_id)
                    continue
                (report.updated if info is not None else report.added).append(d.doc_id)
                changed.append(d)
            if not changed and not removals:
                if snap is not None:
                    self._install(snap)
                return
            upserts = self._prepare(changed, progress=progress)
            report.chunks = sum(len(u.chunks) for u in upserts)
            self._install(self.store.write(snap, upserts=upserts, removals=removals))

    def _prepare(self, docs: list[Document], *, progress: bool) -> list[DocumentWrite]:
        """Chunk, embed (one pass over the chunks gives chunk and sentence vectors) and extract facts.

        A pipeline: while the model embeds one document's chunks, this thread chunks the next documents and
        extracts their facts, so the parsing work uses a core the model would otherwise leave idle."""
        max_tokens = min(self.settings.chunk_tokens, self.embedder.max_tokens)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(docs), desc="indexing", unit="doc")
        staged = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as embedding:
            for d in docs:
                sentences = split_sentences(d)
                chunks = chunk_document(d, self.embedder.count_tokens, max_tokens=max_tokens, sentences=sentences)
                job = embedding.submit(self.embedder.encode_with_parts, [c.text for c in chunks],
                                       [c.sentence_ranges(d.text) for c in chunks])
                if bar is not None:
                    job.add_done_callback(lambda _: bar.update(1))
                staged.append((d, chunks, job, self._facts_of(d, sentences)))
            out = []
            for d, chunks, job, facts in staged:
                vectors, sentence_vectors = job.result()
                out.append(DocumentWrite(
                    doc_id=d.doc_id, title=d.title, sha256=d.sha256, source=d.source, text=d.text,
                    structure=structure_of(d), chunks=chunks, vectors=vectors.reshape(len(chunks), self.embedder.dim),
                    sentence_vectors=(np.concatenate(sentence_vectors) if sentence_vectors
                                      else np.zeros((0, self.embedder.dim), np.float32)),
                    facts=facts,
                ))
        if bar is not None:
            bar.close()
        return out

    @staticmethod
    def _facts_of(doc: Document, sentences: list[Sentence]) -> list[dict]:
        """Facts of one document; a failure there is logged and costs that document its facts, not its ingestion."""
        from bot.facts import extract_facts

        try:
            return extract_facts(doc, sentences)
        except Exception:
            log.exception("fact extraction failed for %s; the document is indexed without facts", doc.doc_id)
            return []

    # -- questions -------------------------------------------------------------------------------

    def ask(self, question: str, *, conversation_id: str | None = None, top_k: int = 5) -> answers.Answer:
        question = self._check_question(question)
        if not 1 <= top_k <= 20:
            raise BadInput("top_k must be between 1 and 20")
        conv_id = conversation_id or uuid.uuid4().hex
        snap = self.snapshot()
        event = None
        if snap is None or snap.chunk_count == 0:
            ans = answers.Answer(question, answers.ABSTAIN_ANSWER, "none", 0.0, [])
        else:
            named = answers.named_event(snap, question)
            context = None if named is not None else self._context(conv_id)
            # A follow-up ("how many died there?") is read in the context of the conversation's event.
            search_text = f"{question} ({context.name})" if context is not None else question
            retrieval = self.retriever.retrieve(snap, search_text)
            passages = answers.build_passages(snap, retrieval, top_k=top_k, max_chars=self.settings.quote_max_chars)
            facts = answers.answer_with_facts(snap, question, named=named,
                                              context_places=context.places if context else None,
                                              max_chars=self.settings.quote_max_chars)
            if facts is not None:
                ans = answers.Answer(question, facts.answer, "fact", 1.0, passages, facts.facts)
            else:
                ans = answers.compose(question, retrieval, passages, min_confidence=self.settings.min_confidence)
            event = named or context or (self._event_of_passage(snap, ans) if ans.mode != "none" else None)
        self._remember(conv_id, question, ans, event=event)
        return replace(ans, conversation_id=conv_id)

    def _check_question(self, question: str) -> str:
        if not isinstance(question, str):
            raise BadInput("question must be a string")
        q = question.strip()
        if not q:
            raise BadInput("question is empty; ask something like 'How many soldiers were killed?'")
        if len(q) > self.settings.max_question_chars:
            raise BadInput(f"question is {len(q)} characters; the limit is {self.settings.max_question_chars} "
                           "(BOT_MAX_QUESTION_CHARS)")
        if "\x00" in q or sum(1 for ch in q if ord(ch) < 32 and ch not in "\t\n\r") > 0:
            raise BadInput("question contains control characters; send plain text")
        return q

    def _context(self, conv_id: str):
        with self._conv_lock:
            conv = self._conversations.get(conv_id)
            return conv.event if conv else None

    @staticmethod
    def _event_of_passage(snap: Snapshot, ans: answers.Answer):
        """The main event of the document the top passage came from."""
        top = ans.passages[0].doc_id if ans.passages else None
        for e in answers.event_table(snap):
            if any(f.get("main_event") and f["doc_id"] == top for f in e.facts):
                return e
        return None

    def _remember(self, conv_id: str, question: str, ans: answers.Answer, *, event=None) -> None:
        now = time.monotonic()
        with self._conv_lock:
            ttl = self.settings.conversation_ttl_seconds
            while self._conversations:
                oldest_id, oldest = next(iter(self._conversations.items()))
                if now - oldest.updated <= ttl and len(self._conversations) < self.settings.max_conversations:
                    break
                self._conversations.pop(oldest_id)
            conv = self._conversations.pop(conv_id, None) or Conversation(now)
            conv.updated = now
            conv.questions = (conv.questions + [question])[-10:]
            if ans.passages:
                conv.doc_ids = [ans.passages[0].doc_id]
            if event is not None:
                conv.event = event
            self._conversations[conv_id] = conv

    # -- lookups ---------------------------------------------------------------------------------

    def _require(self) -> Snapshot:
        snap = self.snapshot()
        if snap is None:
            raise NotFound("the index is empty; run `citebot ingest PATH` first")
        return snap

    def documents(self) -> list[dict]:
        snap = self.snapshot()
        if snap is None:
            return []
        return [{"doc_id": d.doc_id, "title": d.title, "chars": d.chars, "chunks": d.chunks}
                for d in snap.documents.values()]

    def document(self, doc_id: str) -> dict:
        snap = self._require()
        if not is_valid_doc_id(doc_id) or doc_id not in snap.documents:
            raise NotFound(f"no document {doc_id!r}; GET /documents lists them")
        info = snap.documents[doc_id]
        return {"doc_id": doc_id, "title": info.title, "sha256": info.sha256, "text": snap.document_text(doc_id)}

    def citation(self, cid: str, *, context_chars: int = 300) -> dict:
        parsed = answers.parse_citation_id(cid)
        if parsed is None:
            raise NotFound(f"{cid!r} is not a citation id (they look like DOC:START-END:VERSION)")
        doc_id, start, end, version = parsed
        snap = self._require()
        info = snap.documents.get(doc_id)
        if info is None:
            raise NotFound(f"citation {cid!r} points to document {doc_id!r}, which is not in the index")
        text = snap.document_text(doc_id)
        if not info.sha256.startswith(version):
            raise Gone(
                f"document {doc_id!r} changed since this citation was made; the span may no longer hold the quote",
                details={"doc_id": doc_id, "current_version": info.sha256[:12], "title": info.title},
            )
        if end > len(text):
            raise NotFound(f"citation {cid!r} is outside document {doc_id!r}")
        quote = verify_quote(text, start, end, Span(start, end).of(text))
        lo, hi = max(0, start - context_chars), min(len(text), end + context_chars)
        return {
            "citation_id": cid, "doc_id": doc_id, "title": info.title, "quote": quote, "start": start, "end": end,
            "context_before": text[lo:start], "context_after": text[end:hi], "context_start": lo,
            "references": self._references(snap, doc_id, quote),
        }

    @staticmethod
    def _references(snap: Snapshot, doc_id: str, quote: str) -> list[dict]:
        """The reference-list entries that the quote's [n] markers point to."""
        import re

        markers = list(dict.fromkeys(re.findall(r"\[(\d{1,4})\]", quote)))
        if not markers:
            return []
        refs = snap.document_structure(doc_id).get("references", {})
        text = snap.document_text(doc_id)
        return [{"marker": m, "text": text[refs[m][0] : refs[m][1]]} for m in markers if m in refs]

    def cite(self, claim: str, *, limit: int = 5) -> list[dict]:
        """Where a claim or quote comes from: exact occurrences first (whitespace and quote marks may differ;
        offsets are into the original text), then the closest supporting passages."""
        from bot.matching import find_occurrences

        if not isinstance(claim, str) or not claim.strip():
            raise BadInput("text is empty; send the sentence or claim to look up")
        if len(claim) > 5000:
            raise BadInput("text is over 5000 characters; send one claim or quote at a time")
        snap = self.snapshot()
        if snap is None:
            return []
        matches: list[dict] = []
        for doc_id, info in snap.documents.items():
            text = snap.document_text(doc_id)
            for start, end in find_occurrences(text, claim):
                matches.append(self._match(snap, doc_id, start, end, exact=True, score=1.0))
        if len(claim.strip()) >= 3:
            retrieval = self.retriever.retrieve(snap, claim)
            taken = {(m["doc_id"], m["start"], m["end"]) for m in matches}
            for p in answers.build_passages(snap, retrieval, top_k=limit, max_chars=self.settings.quote_max_chars):
                if any(d == p.doc_id and s < p.end and p.start < e for d, s, e in taken):
                    continue
                matches.append(self._match(snap, p.doc_id, p.start, p.end, exact=False, score=p.score))
        return matches[: max(limit, sum(1 for m in matches if m["exact"]))]

    def _match(self, snap: Snapshot, doc_id: str, start: int, end: int, *, exact: bool, score: float) -> dict:
        info = snap.documents[doc_id]
        text = snap.document_text(doc_id)
        quote = verify_quote(text, start, end, text[start:end])
        return {"doc_id": doc_id, "title": info.title, "quote": quote, "start": start, "end": end, "exact": exact,
                "score": round(float(score), 4), "citation_id": answers.citation_id(doc_id, info.sha256, start, end),
                "references": self._references(snap, doc_id, quote)}

    def facts(self, *, event: str | None = None, field: str | None = None) -> list[dict]:
        """The fact table, optionally narrowed to an event (name or place) and a field; quotes verified."""
        from bot.facts.events import fold

        snap = self.snapshot()
        if snap is None:
            return []
        out = []
        for f in snap.facts():
            if field and f["field"] != field:
                continue
            if event and fold(event) not in fold(f["event"]) and not any(fold(event) == fold(p) for p in f["event_places"]):
                continue
            row = answers.fact_out(snap, f, max_chars=self.settings.quote_max_chars)
            row.update(event_year=f["event_year"], source=f["source"], approximate=f["approximate"], at_least=f["at_least"])
            out.append(row)
        return out

    def health(self) -> dict:
        snap = self.snapshot()
        return {
            "status": "ok",
            "documents": len(snap.documents) if snap else 0,
            "chunks": snap.chunk_count if snap else 0,
            "model": self.embedder.name,
            "backend": self.embedder.backend,
            "index": snap.generation if snap else None,
            "search": snap.manifest.get("search") if snap else None,
        }


def structure_of(doc: Document) -> dict:
    """The document's structure as stored with it (spans only; the text is stored once)."""
    return {
        "title_span": [doc.title_span.start, doc.title_span.end] if doc.title_span else None,
        "blocks": [[b.kind, b.span.start, b.span.end, b.section] for b in doc.blocks],
        "cruft": [[c.start, c.end] for c in doc.cruft],
        "references": {k: [v.start, v.end] for k, v in doc.references.items()},
    }


__all__ = ["Bot", "BotError", "IngestReport"]
