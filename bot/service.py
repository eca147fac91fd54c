"""The Bot: wires ingest, chunking, embedding, store, retrieval and answers. The API, CLI and
integrations call only this. One writer at a time; readers always see a complete index snapshot."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bot import answer as answers
from bot import check as check_mod
from bot import conversations as conv
from bot.answerability import DEFAULT_DIR as DEFAULT_MODEL
from bot.answerability import Judge, question_names
from bot.preparation import Prepared, Worker, prepare, recipe, to_write
from bot.citations import CitationLookup, Citations, ClaimMatch
from bot.documents import Documents, DocumentSummary, DocumentView, Original
from bot.config import Settings
from bot.embedding import Embedder
from bot.errors import (BadInput, BotError, ConversationNotFound, DocumentRejected, InvalidText, NotFound, TooLarge,
                        UnsupportedFormat)
from bot.facts.answer import FactAnswerer
from bot.facts.domains import enabled
from bot.matching import fold
from bot.facts.model import EventGroup
from bot.facts.route import FIGURE, FactQuery, route
from bot.facts.table import FactTable
from bot.ingest import SUPPORTED_SUFFIXES, Document, is_valid_doc_id, iter_files, read_document
from bot.retrieval import Retriever
from bot.store import DocumentWrite, IndexStore, Snapshot, lexical_tokens

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0
    seconds: float = 0.0


def open_store(settings: Settings, *, identity: dict):
    """Where the index lives: PostgreSQL + pgvector when `BOT_DATABASE_URL` names a database, else the index
    folder (FAISS + SQLite, no service)."""
    if settings.index_in_database:
        from bot.pgstore import PgIndexStore
        return PgIndexStore(settings.database_url, identity=identity, ef_search=settings.hnsw_ef_search)
    return IndexStore(settings.index_dir, identity=identity)


class Bot:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.embedder = Embedder(settings.model_path(), backend=settings.embedding_backend,
                                 batch_size=settings.embedding_batch_size, cache_dir=settings.cache_dir)
        self.store = open_store(settings, identity=self.embedder.identity())
        self.retriever = Retriever(self.embedder)
        self._write_lock = threading.Lock()
        self._snap_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._pointer_stamp: int | None = None
        self.judge = Judge(Path(settings.answerability_model) if settings.answerability_model else DEFAULT_MODEL,
                           base=settings.model_path(), cache_dir=settings.cache_dir,
                           backend=settings.embedding_backend)
        self.domains = enabled(settings.fact_domains)
        self.conversations = conv.ConversationStore(
            settings.index_dir / "state.sqlite", ttl_seconds=settings.conversation_ttl_seconds,
            max_count=settings.max_conversations, url=settings.database_url)
        self.worker = Worker(settings.model_path(), chunk_tokens=settings.chunk_tokens,
                             domain_names=settings.fact_domains)
        self.library = Documents(self.snapshot)
        self.citations = Citations(self.snapshot, self.retriever, quote_max_chars=settings.quote_max_chars)
        self._table: tuple[str, FactTable] | None = None
        self._table_lock = threading.Lock()

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
        return self.store.stamp()

    def _install(self, snap: Snapshot) -> None:
        with self._snap_lock:
            self._snapshot = snap
            self._pointer_stamp = self._stamp()

    @property
    def threshold(self) -> float:
        """The confidence below which the bot abstains: the setting, else the calibrated operating point."""
        chosen = self.settings.min_confidence
        return chosen if chosen is not None else self.judge.threshold

    def warm(self) -> None:
        """Load the models and index now rather than on the first question."""
        self.embedder.warm()
        self.judge.warm()
        self.snapshot()
        self.retriever.embed_question("warm up")

    def ensure_index(self, *, progress: bool = False) -> IngestReport | None:
        """Bring the index up to date with the seeds folder: builds it when empty, re-indexes changed files.
        Unchanged files are skipped by content hash, so an up-to-date index costs only a read of the seeds."""
        seeds = self.settings.seeds_dir
        if not seeds.is_dir() or not self.store.writable():
            return None  # a read-only index is served as it is
        return self.ingest([seeds], progress=progress)

    def ingest(self, paths: list[Path], *, progress: bool = False, ray: str | None = None) -> IngestReport:
        """Add or replace documents from files and folders; unchanged files are skipped, bad ones reported.
        With `ray` (a cluster address, or "auto"), the documents are prepared and embedded on that Ray cluster
        and this process writes the new generation."""
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
        self._write(unique, [], report, progress=progress, ray=ray)
        report.seconds = time.perf_counter() - started
        return report

    def add_text(self, doc_id: str, text: str) -> dict:
        """Ingest one document given as text (the JSON upload): its status and chunk count."""
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            raise InvalidText(f"{doc_id}: the text contains an unpaired surrogate (invalid Unicode)")
        if "\x00" in text:
            raise DocumentRejected(f"{doc_id}: contains NUL characters; only text documents are accepted")
        if not text.strip():
            raise DocumentRejected(f"{doc_id}: the document is empty")
        return self.add_file(doc_id, text.encode("utf-8"), suffix=".txt")

    def add_file(self, doc_id: str, data: bytes, *, suffix: str) -> dict:
        """Ingest one uploaded file (text, Markdown, HTML, PDF or DOCX, by `suffix`), prepared in the worker
        process within the time budget: its status and chunk count."""
        report = IngestReport()
        if not is_valid_doc_id(doc_id):
            raise DocumentRejected(f"{doc_id!r}: a document id is a file name without '/', '\\', control, "
                                   "zero-width or direction characters, or a leading '.'")
        if suffix not in SUPPORTED_SUFFIXES:
            raise UnsupportedFormat(f"{doc_id}{suffix}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})")
        if len(data) > self.settings.max_document_bytes:
            raise TooLarge(f"document is over {self.settings.max_document_bytes} bytes (BOT_MAX_DOCUMENT_BYTES)")
        ready = self.worker.prepare(doc_id, data, suffix=suffix, source=f"upload:{doc_id}{suffix}",
                                    budget=self.settings.ingest_timeout_seconds)
        self._write([ready], [], report, progress=False)
        status = "added" if report.added else "updated" if report.updated else "unchanged"
        return {"doc_id": doc_id, "status": status, "chunks": self._require().documents[doc_id].chunks}

    def remove(self, doc_id: str) -> None:
        with self._write_lock, self.store.writing():
            snap = self.store.load()
            if snap is None or doc_id not in snap.documents:
                raise NotFound(f"no document {doc_id!r}; `citebot documents` or GET /documents lists them")
            self._install(self.store.write(snap, upserts=[], removals=[doc_id]))

    def _write(self, docs: list[Document | Prepared], removals: list[str], report: IngestReport, *,
               progress: bool, ray: str | None = None) -> None:
        with self._write_lock, self.store.writing():
            snap = self.store.load()
            changed: list[Document | Prepared] = []
            current = recipe(max_tokens=self._max_tokens(), domains=self.domains)
            for d in docs:
                doc = d.doc if isinstance(d, Prepared) else d
                info = snap.documents.get(doc.doc_id) if snap is not None else None
                if (info is not None and info.sha256 == doc.sha256
                        and snap.document_structure(doc.doc_id).get("prepared_by") == current):
                    report.unchanged.append(doc.doc_id)
                    continue
                (report.updated if info is not None else report.added).append(doc.doc_id)
                changed.append(d)
            if not changed and not removals:
                if snap is not None:
                    self._install(snap)
                return
            if ray:
                from bot.fanout import prepare_on_ray

                upserts = prepare_on_ray(changed, self.settings, address=ray, dim=self.embedder.dim)
            else:
                upserts = self._prepare(changed, progress=progress)
            report.chunks = sum(len(u.chunks) for u in upserts)
            self._install(self.store.write(snap, upserts=upserts, removals=removals))

    def _prepare(self, docs: list[Document | Prepared], *, progress: bool) -> list[DocumentWrite]:
        """Chunk, embed (one pass over the chunks gives chunk and sentence vectors) and extract facts.

        A pipeline: while the model embeds one document's chunks, this thread prepares the next documents
        (sentences, chunks, facts), so the parsing work uses a core the model would otherwise leave idle.
        Documents already prepared (uploads, by the worker process) go straight to the model."""
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(docs), desc="indexing", unit="doc")
        staged = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as embedding:
            for d in docs:
                ready = d if isinstance(d, Prepared) else prepare(d, self.embedder, max_tokens=self._max_tokens(),
                                                                  domains=self.domains)
                job = embedding.submit(self.embedder.encode_with_parts, [c.text for c in ready.chunks],
                                       [c.sentence_ranges(ready.doc.text) for c in ready.chunks])
                if bar is not None:
                    job.add_done_callback(lambda _: bar.update(1))
                staged.append((ready, job))
            out = [to_write(ready, *job.result(), dim=self.embedder.dim) for ready, job in staged]
        if bar is not None:
            bar.close()
        return out

    def _max_tokens(self) -> int:
        return min(self.settings.chunk_tokens, self.embedder.max_tokens)

    # -- questions -------------------------------------------------------------------------------

    def ask(self, question: str, *, conversation_id: str | None = None, top_k: int = 5,
            namespace: str = conv.WEB) -> answers.Answer:
        """Answer a question, in the context of its conversation. `conversation_id` must be one the server
        issued (web) or an outside thread's key (Slack, webhook namespaces); None starts a new conversation."""
        question = self._check_question(question)
        if not 1 <= top_k <= 20:
            raise BadInput("top_k must be between 1 and 20")
        conversation = self._conversation(conversation_id, namespace)
        snap = self.snapshot()
        subject = None
        if snap is None or snap.chunk_count == 0:
            ans = answers.Answer(question, answers.ABSTAIN_ANSWER, "none", 0.0, [], assessment="The index is empty.")
        else:
            table = self.fact_table(snap)
            named = table.named(question)
            reading = conv.read(question, conversation, names_own_subject=bool(named) or self._names_subject(snap, question))
            if reading.clarify:
                ans = self._clarify(question, table, snap)
            else:
                ans, subject = self._answer(snap, table, question, named, reading.subject, top_k)
        conversation.remember(question, subject)
        self.conversations.save(conversation)
        return replace(ans, conversation_id=conversation.id)

    def _conversation(self, conversation_id: str | None, namespace: str) -> conv.Conversation:
        if not conversation_id:
            return self.conversations.start(namespace)
        if namespace != conv.WEB:
            return self.conversations.open(conversation_id, namespace)
        found = self.conversations.get(conversation_id, namespace)
        if found is None:
            raise ConversationNotFound(
                f"conversation {conversation_id[:40]!r} is unknown or expired; start a new one by leaving "
                "conversation_id out (the answer carries the new id)")
        return found

    def _answer(self, snap: Snapshot, table: FactTable, question: str, named, context: conv.Subject | None,
                top_k: int) -> tuple[answers.Answer, conv.Subject | None]:
        """Facts and passages both judged; the better-supported answer wins, or an honest abstention."""
        threshold = self.threshold
        search = f"{question} ({context.name})" if context is not None else question
        retrieval = self.retriever.retrieve(snap, search)
        judged = answers.judge(snap, search, answers.candidates(snap, retrieval), logits=self.judge.logits,
                               confidence=self.judge.confidence)
        passages = answers.build_passages(snap, retrieval, top_k=top_k, max_chars=self.settings.quote_max_chars,
                                          judged=judged)
        query = route(question, self.domains)
        fact = self._fact_answer(snap, table, question, query, named, context) if query is not None else None
        if fact is not None and fact.facts and fact.confidence >= threshold:
            cited = [answers.cite_fact(snap, f, max_chars=self.settings.quote_max_chars) for f in fact.facts]
            ans = answers.Answer(question, fact.text, "fact", fact.confidence, passages, cited,
                                 assessment=answers.assess("fact", fact.confidence, threshold))
            return ans, self._subject(fact.event) or context
        if fact is not None and fact.uncovered:
            # the facts say something broader than what was asked: an honest "not found", with what they do say
            cited = [answers.cite_fact(snap, f, max_chars=self.settings.quote_max_chars) for f in fact.facts]
            ans = answers.Answer(question, fact.text, "none", 0.0, passages, cited,
                                 assessment="Not found in the documents: they give only broader figures.")
            return ans, self._subject(fact.event) or context
        ans = answers.passage_answer(question, judged, passages, min_confidence=threshold,
                                     needs_figure=query is not None and query.kind == FIGURE)
        subject = context
        if ans.mode == "passage":
            subject = self._subject_of_doc(table, snap, ans.passages[0].doc_id) or context
        elif named:
            subject = self._subject(named[0][0])
        return ans, subject

    def _fact_answer(self, snap: Snapshot, table: FactTable, question: str, query: FactQuery, named,
                     context: conv.Subject | None):
        context_event = None
        if context is not None and not named:
            context_event = next((g for g in table.groups if g.key == context.event_key), None) or next(
                (g for g in table.groups if context.places and {fold(p) for p in g.places} & {fold(p) for p in context.places}
                 and (not context.year or g.year == context.year)), None)
        answerer = FactAnswerer(table, self.domains, text_of=snap.document_text, similarity=self._similarity)
        return answerer.answer(question, query, named=named, context=context_event)

    def _similarity(self, phrase: str, others) -> np.ndarray:
        vectors = self._phrase_vectors(tuple([phrase, *others]))
        return vectors[1:] @ vectors[0]

    def _phrase_vectors(self, phrases: tuple[str, ...]) -> np.ndarray:
        return np.stack([self.retriever.embed_question(p) for p in phrases])

    @staticmethod
    def _subject(event: EventGroup | None) -> conv.Subject | None:
        if event is None:
            return None
        doc = event.events[0].doc_id if event.events else ""
        return conv.Subject(event.name, doc, tuple(event.places), event.year, event.key)

    def _subject_of_doc(self, table: FactTable, snap: Snapshot, doc_id: str) -> conv.Subject | None:
        """The main event of a document, else the document itself."""
        for g in table.groups:
            if any(e.main and e.doc_id == doc_id for e in g.events):
                return self._subject(g)
        info = snap.documents.get(doc_id)
        return conv.Subject(info.title, doc_id) if info else None

    def _names_subject(self, snap: Snapshot, question: str) -> bool:
        """Does the question name something of its own: a name or year that is rare in the collection (or absent
        from it), rather than one most documents share ('Turkey', 'AFAD')?"""
        names = question_names(question)
        if not names:
            return False
        total = max(1, len(snap.documents))
        for name in names:
            terms = lexical_tokens([name])[0]
            if not terms:
                continue
            df = self._doc_frequency(snap, tuple(terms))
            if df == 0 or df <= max(1, total // 2) and df < total:
                return True
        return False

    def _doc_frequency(self, snap: Snapshot, terms: tuple[str, ...]) -> int:
        hits = snap.lexical_scores(list(terms)) > 0
        return int(len(np.unique(snap.chunk_doc[hits]))) if hits.any() else 0

    def _clarify(self, question: str, table: FactTable, snap: Snapshot) -> answers.Answer:
        names = [g.name for g in table.groups if g.main][:6] or [d.title for d in list(snap.documents.values())[:6]]
        listing = "; ".join(names)
        return answers.Answer(question, f"Which event do you mean? The documents cover: {listing}.", "none", 0.0, [],
                              assessment="The question refers back to something, but this conversation has no subject yet.")

    def fact_table(self, snap: Snapshot) -> FactTable:
        """The fact table of a snapshot, built once."""
        with self._table_lock:
            if self._table is None or self._table[0] != snap.generation:
                self._table = (snap.generation, FactTable(snap.facts(), text_of=snap.document_text))
            return self._table[1]

    def _check_question(self, question: str) -> str:
        return require_text(question, what="question", max_chars=self.settings.max_question_chars,
                            setting="BOT_MAX_QUESTION_CHARS",
                            empty="question is empty; ask something like 'How many soldiers were killed?'")

    # -- lookups ---------------------------------------------------------------------------------

    def _require(self) -> Snapshot:
        snap = self.snapshot()
        if snap is None:
            raise NotFound("the index is empty; run `citebot ingest PATH` first")
        return snap

    def documents(self) -> list[DocumentSummary]:
        return self.library.list()

    def document(self, doc_id: str) -> DocumentView:
        return self.library.view(doc_id)

    def original(self, doc_id: str) -> Original:
        return self.library.original(doc_id)

    def page_image(self, doc_id: str, page: int) -> bytes:
        return self.library.page_image(doc_id, page)

    def citation(self, cid: str) -> CitationLookup:
        return self.citations.open(cid)

    def cite(self, claim: str, *, limit: int = 5) -> list[ClaimMatch]:
        """Where a claim or quote comes from (see bot.citations)."""
        claim = require_text(claim, what="text", max_chars=5000,
                             empty="text is empty; send the sentence or claim to look up")
        return self.citations.trace(claim, limit=limit)

    def check(self, text: str) -> check_mod.CheckReport:
        """Each sentence of a draft checked against the sources (see bot.check); offsets into `text` as sent."""
        require_text(text, what="text", max_chars=20_000, empty="text is empty; send the draft to check")
        snap = self._require()
        src = check_mod.Sources(snap, self.fact_table(snap), self.retriever, self.judge.logits, self.judge.confidence,
                                self.domains, self.settings.quote_max_chars)
        return check_mod.check_text(src, text)

    def facts(self, *, event: str | None = None, field: str | None = None, claimant: str | None = None,
              offset: int = 0, limit: int | None = None) -> tuple[list[answers.CitedFact], int]:
        """A page of the fact table, optionally narrowed to an event (name or place), a field and a claimant (part
        of its name), with how many facts match in all; quotes verified."""
        snap = self.snapshot()
        if snap is None:
            return [], 0
        matching = []
        for f in self.fact_table(snap).facts:
            if field and f.field != field:
                continue
            if claimant and fold(claimant) not in fold(f.claimant or ""):
                continue
            if event and (f.event is None or (fold(event) not in fold(f.event.name)
                                              and not any(fold(event) == fold(p) for p in f.event.places))):
                continue
            matching.append(f)
        page = matching[offset : None if limit is None else offset + limit]
        return [answers.cite_fact(snap, f, max_chars=self.settings.quote_max_chars) for f in page], len(matching)

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


def require_text(text, *, what: str, max_chars: int | None = None, setting: str = "", empty: str = "") -> str:
    """Text from a user, stripped: a string, not empty, within its limit, valid Unicode without control
    characters (a lone surrogate cannot be stored or encoded: refused with a 422, not a crash)."""
    if not isinstance(text, str):
        raise BadInput(f"{what} must be a string")
    t = text.strip()
    if not t:
        raise BadInput(empty or f"{what} is empty")
    if max_chars is not None and len(t) > max_chars:
        raise BadInput(f"{what} is {len(t)} characters; the limit is {max_chars}" + (f" ({setting})" if setting else ""))
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in t):
        raise InvalidText(f"{what} contains an unpaired surrogate (invalid Unicode); send valid UTF-8 text")
    if "\x00" in t or any(ord(ch) < 32 and ch not in "\t\n\r" for ch in t):
        raise BadInput(f"{what} contains control characters; send plain text")
    return t


__all__ = ["Bot", "BotError", "IngestReport"]
