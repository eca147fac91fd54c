"""The index on disk: metadata (SQLite), vectors (FAISS) and the lexical index (BM25), written atomically.

Every write builds a complete new generation directory next to the current one and then switches the
`CURRENT` pointer with an atomic rename, so a crash at any point leaves either the old index or the new
one, never a mix. Readers hold an immutable `Snapshot`; a write returns a new one.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bm25s
import faiss
import numpy as np
import Stemmer

from bot.errors import Busy, IndexUnusable, ReadOnlyIndex, StorageFull
from bot.facts.model import Fact
from bot.ingest.locators import TEXT_MAP, SourceMap
from bot.spans import Span

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: typed facts (bot.facts.model.Fact) with general fields
CURRENT = "CURRENT"
LOCK = ".lock"
APPROXIMATE_THRESHOLD = 200_000
TARGET_RECALL = 0.97  # recall@10 an approximate index must show against exact search when it is built

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL,
    text TEXT NOT NULL, structure TEXT NOT NULL, chars INTEGER NOT NULL, chunks INTEGER NOT NULL,
    ingested_at REAL NOT NULL, format TEXT NOT NULL, original BLOB, original_sha256 TEXT NOT NULL,
    source_map BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, kind TEXT NOT NULL, section TEXT NOT NULL,
    text TEXT NOT NULL, sentences TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS facts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_id);
"""

_stemmer = Stemmer.Stemmer("english")
# Words that carry no content in a question ("how many", "when did", "what was"); stemmed like the index.
_QUESTION_STOPWORDS = frozenset(
    _stemmer.stemWords(sorted(set(bm25s.stopwords.STOPWORDS_EN_PLUS) | {"many", "much", "whose", "whom"}))
)


_TOKEN = re.compile(r"(?u)\b(?:\w\w+|\d)\b")
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)


def lexical_tokens(texts: Sequence[str]) -> list[list[str]]:
    """The one tokenizer of the lexical index, used for chunks and queries alike: bm25s's tokenizer (lower
    case, English stopwords out, Snowball stems), done without its per-call progress-bar and vocabulary set-up,
    which cost a question about a millisecond (tests/test_store.py holds the two equal)."""
    out = []
    for text in texts:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS]
        out.append(_stemmer.stemWords(words) if words else [])
    return out


def query_terms(question: str) -> list[str]:
    """The content terms of a question: lexical tokens less question words and function words."""
    return [t for t in lexical_tokens([question])[0] if t not in _QUESTION_STOPWORDS]


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    sha256: str
    chars: int
    chunks: int
    source: str
    format: str = "text"
    original_sha256: str = ""
    ingested_at: float = 0.0


@dataclass(frozen=True)
class ChunkRecord:
    vid: int
    doc_id: str
    ordinal: int
    span: Span
    kind: str
    section: str
    text: str
    sentences: tuple[Span, ...]


@dataclass
class DocumentWrite:
    """Everything one document contributes to the index; replaces whatever the document had before."""

    doc_id: str
    title: str
    sha256: str
    source: str
    text: str
    structure: dict
    chunks: list  # of bot.chunking.Chunk
    vectors: np.ndarray
    sentence_vectors: np.ndarray  # one row per sentence of every chunk, in chunk order
    facts: list  # of bot.facts.model.Fact
    format: str = "text"
    original: bytes | None = None  # the file, when its text was extracted from it (HTML, PDF, DOCX)
    source_map: SourceMap = TEXT_MAP

    @property
    def original_sha256(self) -> str:
        """Hash of the bytes as received: the original file, or the text when the text is the file."""
        return hashlib.sha256(self.original if self.original is not None else self.text.encode()).hexdigest()


def check_manifest(manifest: dict, identity: dict, *, where: str, how: str) -> None:
    """Refuse an index this code cannot read: another format, or vectors from another embedder than the
    configured one (`where` names the index in the message, `how` says how to rebuild it)."""
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexUnusable(f"{where} has format {manifest.get('format')}, expected {FORMAT_VERSION}; {how}")
    built = manifest.get("embedding", {})
    if built.get("fingerprint") != identity.get("fingerprint") or built.get("backend") != identity.get("backend"):
        raise IndexUnusable(
            f"{where} was built with model {built.get('model')} ({built.get('backend')}, "
            f"{built.get('fingerprint')}) but the configured embedder is {identity.get('model')} "
            f"({identity.get('backend')}, {identity.get('fingerprint')}); {how}"
        )


class Snapshot:
    """A loaded, immutable generation of the index. Safe to share between threads.

    This base holds what every backend shares (the chunk layout as arrays, caches of texts, maps and chunk
    records); a backend supplies the rows and the two searches: `DirectorySnapshot` (FAISS + SQLite + BM25
    files, the default) and `bot.pgstore.PgSnapshot` (PostgreSQL + pgvector)."""

    def __init__(self, manifest: dict, documents: dict[str, DocumentInfo], chunk_doc: np.ndarray,
                 chunk_rowid: np.ndarray, doc_ids: list[str], chunk_first_sentence: np.ndarray):
        self.manifest = manifest
        self.documents = documents
        self.chunk_doc = chunk_doc  # position of each chunk's document in `doc_ids`, by chunk vid
        self.chunk_rowid = chunk_rowid  # the backend's row id of each chunk, ascending, by vid
        self.doc_ids = doc_ids
        self.chunk_first_sentence = chunk_first_sentence  # first sentence row of each chunk (one extra at the end)
        self.memo: dict = {}  # derived data computed once per snapshot (e.g. the event table)
        self._cache_lock = threading.Lock()
        self._text_cache: OrderedDict[str, str] = OrderedDict()
        self._maps: OrderedDict[str, SourceMap] = OrderedDict()
        self._chunk_cache: OrderedDict[int, ChunkRecord] = OrderedDict()

    @property
    def generation(self) -> str:
        raise NotImplementedError

    @property
    def chunk_count(self) -> int:
        return int(self.chunk_rowid.shape[0])

    # -- what a backend supplies -----------------------------------------------------------------

    def _document_field(self, doc_id: str, column: str):
        """One column (text, original, structure, source_map) of a document row; KeyError when absent."""
        raise NotImplementedError

    def _chunk_row(self, rowid: int) -> tuple:
        """(doc_id, ordinal, start, end, kind, section, text, sentences as JSON) of one chunk row."""
        raise NotImplementedError

    def facts(self, doc_id: str | None = None) -> list[Fact]:
        raise NotImplementedError

    def dense_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k chunk vids by inner product with unit `query` vectors (shape [n, dim])."""
        raise NotImplementedError

    def lexical_scores(self, terms: Iterable[str]) -> np.ndarray:
        """BM25 score of every chunk for the query `terms` (see `query_terms`); zeros where none occurs."""
        raise NotImplementedError

    def idf_of(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25 inverse document frequency per term; a term the index never uses weighs as much as the rarest
        one it does."""
        raise NotImplementedError

    def chunk_vectors(self, vids: np.ndarray) -> np.ndarray:
        """The embedding of each chunk in `vids`, in that order."""
        raise NotImplementedError

    def sentence_vectors_of(self, vids: Sequence[int]) -> list[np.ndarray]:
        """The sentence embeddings of each chunk in `vids` (one row per sentence of the chunk)."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    # -- shared, cached reads --------------------------------------------------------------------

    def document_text(self, doc_id: str) -> str:
        with self._cache_lock:
            if doc_id in self._text_cache:
                self._text_cache.move_to_end(doc_id)
                return self._text_cache[doc_id]
        text = self._document_field(doc_id, "text")
        with self._cache_lock:
            self._text_cache[doc_id] = text
            if len(self._text_cache) > 256:
                self._text_cache.popitem(last=False)
        return text

    def document_original(self, doc_id: str) -> bytes | None:
        """The file a document's text was extracted from (None when the text is the file)."""
        found = self._document_field(doc_id, "original")
        return bytes(found) if found is not None else None

    def source_map(self, doc_id: str) -> SourceMap:
        """How the document's text maps back into its original (cached: locators are asked for per quote)."""
        hit = self._maps.get(doc_id)
        if hit is not None:
            return hit
        found = SourceMap.from_bytes(bytes(self._document_field(doc_id, "source_map")))
        with self._cache_lock:
            self._maps[doc_id] = found
            if len(self._maps) > 64:
                self._maps.popitem(last=False)
        return found

    def document_structure(self, doc_id: str) -> dict:
        return json.loads(self._document_field(doc_id, "structure"))

    def chunk(self, vid: int) -> ChunkRecord:
        hit = self._chunk_cache.get(vid)
        if hit is not None:
            return hit
        doc_id, ordinal, start, end, kind, section, text, sentences = self._chunk_row(int(self.chunk_rowid[vid]))
        rec = ChunkRecord(vid, doc_id, ordinal, Span(start, end), kind, section, text,
                          tuple(Span(a, b) for a, b in json.loads(sentences)))
        with self._cache_lock:
            self._chunk_cache[vid] = rec
            if len(self._chunk_cache) > 4096:
                self._chunk_cache.popitem(last=False)
        return rec

    def chunks_of(self, doc_id: str) -> list[ChunkRecord]:
        idx = self.doc_ids.index(doc_id) if doc_id in self.documents else -1
        return [self.chunk(int(v)) for v in np.nonzero(self.chunk_doc == idx)[0]]


class DirectorySnapshot(Snapshot):
    """A generation directory: metadata in SQLite, vectors in .npy files and FAISS, BM25 from bm25s."""

    def __init__(self, path: Path, manifest: dict, conn: sqlite3.Connection, vectors: np.ndarray,
                 faiss_index, bm25: bm25s.BM25 | None, documents: dict[str, DocumentInfo],
                 chunk_doc: np.ndarray, chunk_rowid: np.ndarray, doc_ids: list[str],
                 sentence_vectors: np.ndarray, chunk_first_sentence: np.ndarray):
        super().__init__(manifest, documents, chunk_doc, chunk_rowid, doc_ids, chunk_first_sentence)
        self.path = path
        self._conn = conn
        self._conn_lock = threading.Lock()
        self.vectors = vectors
        self.faiss = faiss_index
        self.bm25 = bm25
        self.sentence_vectors = sentence_vectors
        self.idf = _idf(bm25) if bm25 is not None else {}
        self.idf_ceiling = max(self.idf.values(), default=1.0)  # the rarest term's weight

    @property
    def generation(self) -> str:
        return self.path.name

    def _query(self, sql: str, args: Iterable = ()) -> list[tuple]:
        with self._conn_lock:
            return self._conn.execute(sql, tuple(args)).fetchall()

    def _document_field(self, doc_id: str, column: str):
        rows = self._query(f"SELECT {column} FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            raise KeyError(doc_id)
        return rows[0][0]

    def _chunk_row(self, rowid: int) -> tuple:
        row, = self._query(
            'SELECT doc_id, ordinal, start, "end", kind, section, text, sentences FROM chunks WHERE id = ?', (rowid,))
        return row

    def facts(self, doc_id: str | None = None) -> list[Fact]:
        if doc_id is None:
            rows = self._query("SELECT payload FROM facts ORDER BY id")
        else:
            rows = self._query("SELECT payload FROM facts WHERE doc_id = ? ORDER BY id", (doc_id,))
        return [Fact.from_json(r[0]) for r in rows]

    def dense_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.chunk_count == 0:
            return np.zeros((len(query), 0), dtype=np.float32), np.zeros((len(query), 0), dtype=np.int64)
        k = min(k, self.chunk_count)
        scores, ids = self.faiss.search(np.ascontiguousarray(query, dtype=np.float32), k)
        return scores, ids

    def lexical_scores(self, terms: Iterable[str]) -> np.ndarray:
        if self.bm25 is None or self.chunk_count == 0:
            return np.zeros(self.chunk_count, dtype=np.float32)
        tokens = [t for t in terms if t in self.bm25.vocab_dict]
        if not tokens:
            return np.zeros(self.chunk_count, dtype=np.float32)
        return self.bm25.get_scores(tokens)

    def idf_of(self, terms: Iterable[str]) -> dict[str, float]:
        return {t: self.idf.get(t, self.idf_ceiling) for t in terms}

    def chunk_vectors(self, vids: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[vids], dtype=np.float32)

    def sentence_vectors_of(self, vids: Sequence[int]) -> list[np.ndarray]:
        first = self.chunk_first_sentence
        return [np.asarray(self.sentence_vectors[first[v] : first[v + 1]], dtype=np.float32) for v in vids]

    def close(self) -> None:
        with self._conn_lock:
            self._conn.close()


class IndexStore:
    """Owns one index directory: loading the current generation and writing new ones."""

    def __init__(self, root: Path, *, identity: dict, dim: int | None = None):
        self.root = Path(root)
        self.identity = identity
        self.dim = dim

    def exists(self) -> bool:
        return (self.root / CURRENT).exists()

    def stamp(self) -> int | None:
        """Changes whenever another process makes a new generation current (None: no index yet)."""
        try:
            return (self.root / CURRENT).stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def load(self) -> DirectorySnapshot | None:
        """The current generation, or None for an empty index. Raises IndexUnusable if it is damaged."""
        pointer = self.root / CURRENT
        if not pointer.exists():
            return None
        name = pointer.read_text().strip()
        path = self.root / name
        how = f"rebuild it: delete {self.root} and run `citebot ingest seeds/ --index {self.root}`"
        try:
            manifest = json.loads((path / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise IndexUnusable(f"index at {self.root} is unreadable ({exc}); {how}") from None
        check_manifest(manifest, self.identity, where=f"index at {self.root}", how=how)
        try:
            return self._open(path, manifest)
        except IndexUnusable:
            raise
        except Exception as exc:  # a damaged file can fail anywhere inside numpy, faiss or sqlite
            raise IndexUnusable(f"index at {self.root} is damaged ({type(exc).__name__}: {exc}); {how}") from None

    def _open(self, path: Path, manifest: dict) -> DirectorySnapshot:
        how = f"delete {self.root} and run `citebot ingest seeds/ --index {self.root}`"
        conn = sqlite3.connect(f"file:{path / 'meta.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise IndexUnusable(f"index metadata at {path} is corrupt; {how}")
        docs = {}
        for doc_id, title, sha, chars, n, source, fmt, original_sha, at in conn.execute(
            "SELECT doc_id, title, sha256, chars, chunks, source, format, original_sha256, ingested_at "
            "FROM documents ORDER BY doc_id"
        ):
            docs[doc_id] = DocumentInfo(doc_id, title, sha, chars, n, source, fmt, original_sha, at)
        doc_ids = list(docs)
        pos = {d: i for i, d in enumerate(doc_ids)}
        rows = conn.execute("SELECT id, doc_id, json_array_length(sentences) FROM chunks ORDER BY id").fetchall()
        chunk_rowid = np.array([r[0] for r in rows], dtype=np.int64)
        chunk_doc = np.array([pos[r[1]] for r in rows], dtype=np.int32)
        counts = np.array([r[2] for r in rows], dtype=np.int64)
        first_sentence = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        vectors = np.load(path / "vectors.npy", mmap_mode="r")
        sentence_vectors = np.load(path / "sentences.npy", mmap_mode="r")
        if sentence_vectors.shape[0] != int(first_sentence[-1]):
            raise IndexUnusable(f"index at {path}: sentence vectors do not match the chunks; {how}")
        dim = manifest["embedding"].get("dim")
        if vectors.ndim != 2 or vectors.shape[0] != len(rows) or (len(rows) and vectors.shape[1] != dim):
            raise IndexUnusable(
                f"index at {path}: {vectors.shape} vectors for {len(rows)} chunks of dimension {dim}; {how}"
            )
        index = faiss.read_index(str(path / "vectors.faiss"))
        if index.ntotal != len(rows) or (len(rows) and index.d != dim):
            raise IndexUnusable(f"index at {path}: FAISS holds {index.ntotal} vectors for {len(rows)} chunks; {how}")
        bm25 = None
        if rows:
            bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False, verbosity=0)
            if bm25.scores["num_docs"] != len(rows):
                raise IndexUnusable(f"index at {path}: lexical index does not match its chunks; {how}")
        return DirectorySnapshot(path, manifest, conn, vectors, index, bm25, docs, chunk_doc, chunk_rowid, doc_ids,
                                 sentence_vectors, first_sentence)

    @contextmanager
    def writing(self):
        """Hold the cross-process writer lock for a whole read-modify-write (load, then `write`)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock = _WriterLock(self.root / LOCK)
            lock.__enter__()
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise ReadOnlyIndex(f"the index folder {self.root} is read-only; it can be searched but not changed") from None
            raise
        try:
            yield
        finally:
            lock.__exit__(None, None, None)

    def writable(self) -> bool:
        """Can this process change the index (the folder exists or can be made, and accepts new files)?"""
        probe = self.root if self.root.exists() else self.root.parent
        return os.access(probe, os.W_OK) and (not (self.root / LOCK).exists() or os.access(self.root / LOCK, os.W_OK))

    def write(self, base: DirectorySnapshot | None, *, upserts: Sequence[DocumentWrite],
              removals: Sequence[str]) -> DirectorySnapshot:
        """Build the next generation from `base` plus changes and make it current, atomically.
        Call inside `writing()`; a base that is no longer current is refused rather than overwritten."""
        self.root.mkdir(parents=True, exist_ok=True)
        current = self._current_name()
        if base is not None and current is not None and base.generation != current:
            raise Busy("the index changed while this write was prepared (another writer); try again")
        tmp = self.root / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            manifest = self._build(tmp, base, upserts, removals)
            _fsync_dir(tmp)
            crash_point("before_rename")
            final = self.root / f"gen-{time.time_ns():020d}"
            os.rename(tmp, final)
            _fsync_dir(self.root)
            crash_point("before_pointer")
            pointer_tmp = self.root / f".{CURRENT}.{uuid.uuid4().hex}"
            pointer_tmp.write_text(final.name)
            _fsync_file(pointer_tmp)
            os.replace(pointer_tmp, self.root / CURRENT)
            _fsync_dir(self.root)
            crash_point("after_pointer")
        except (OSError, sqlite3.Error, RuntimeError) as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            code = getattr(exc, "errno", None)
            if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in str(exc) or "No space left" in str(exc):
                raise StorageFull("the disk is full; the index was not changed. Free some space and try again") from None
            if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly database" in str(exc):
                raise ReadOnlyIndex(f"the index folder {self.root} is read-only; the index was not changed") from None
            raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._collect_garbage(keep={final.name, current or ""})  # a reader may still be opening the previous one
        return self._open(final, manifest)

    def _current_name(self) -> str | None:
        pointer = self.root / CURRENT
        return pointer.read_text().strip() if pointer.exists() else None

    def _build(self, tmp: Path, base: DirectorySnapshot | None, upserts: Sequence[DocumentWrite], removals: Sequence[str]) -> dict:
        db = tmp / "meta.sqlite"
        conn = sqlite3.connect(db)
        try:
            if base is not None:
                src = sqlite3.connect(f"file:{base.path / 'meta.sqlite'}?mode=ro", uri=True)
                src.backup(conn)
                src.close()
            conn.executescript(_SCHEMA)
            gone = set(removals) | {u.doc_id for u in upserts}
            with conn:
                for doc_id in gone:
                    for table in ("documents", "chunks", "facts"):
                        conn.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
                now = time.time()
                for u in upserts:
                    conn.execute(
                        "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (u.doc_id, u.title, u.sha256, u.source, u.text, json.dumps(u.structure), len(u.text),
                         len(u.chunks), now, u.format, u.original,
                         u.original_sha256,
                         u.source_map.to_bytes()),
                    )
                    conn.executemany(
                        'INSERT INTO chunks (doc_id, ordinal, start, "end", kind, section, text, sentences) '
                        "VALUES (?,?,?,?,?,?,?,?)",
                        [(u.doc_id, c.ordinal, c.span.start, c.span.end, c.kind, c.section, c.text,
                          json.dumps([[s.start, s.end] for s in c.sentences])) for c in u.chunks],
                    )
                    conn.executemany(
                        "INSERT INTO facts (doc_id, payload) VALUES (?, ?)",
                        [(u.doc_id, f.to_json()) for f in u.facts],
                    )
            crash_point("after_metadata")
            texts = [r[0] for r in conn.execute("SELECT text FROM chunks ORDER BY id")]
            n_docs = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            conn.close()

        dim = self.dim or (base.manifest["embedding"]["dim"] if base is not None else None)
        pieces: list[tuple[np.ndarray, np.ndarray | None]] = []  # (rows, which of them to keep) per source
        sentence_pieces: list[tuple[np.ndarray, np.ndarray | None]] = []
        if base is not None and base.chunk_count:
            gone_idx = [i for i, d in enumerate(base.doc_ids) if d in gone]
            keep = ~np.isin(base.chunk_doc, gone_idx)
            pieces.append((base.vectors, np.flatnonzero(keep)))
            counts = np.diff(base.chunk_first_sentence)
            sentence_pieces.append((base.sentence_vectors, np.flatnonzero(np.repeat(keep, counts))))
        for u in upserts:
            if len(u.sentence_vectors) != sum(len(c.sentences) for c in u.chunks):
                raise ValueError(f"{u.doc_id}: sentence vectors do not match its chunks' sentences")
            if len(u.chunks) != len(u.vectors):
                raise ValueError(f"{u.doc_id}: {len(u.chunks)} chunks but {len(u.vectors)} vectors")
            if len(u.vectors):
                pieces.append((u.vectors, None))
                sentence_pieces.append((u.sentence_vectors, None))
                dim = u.vectors.shape[1]
        dim = dim or 0
        if _row_count(pieces) != len(texts):
            raise ValueError(f"{_row_count(pieces)} vectors for {len(texts)} chunks")
        _write_rows(tmp / "vectors.npy", pieces, dim)
        _write_rows(tmp / "sentences.npy", sentence_pieces, dim)
        crash_point("after_vectors")
        index, search = build_faiss(pieces, dim)
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        _fsync_file(tmp / "vectors.faiss")
        if texts:
            bm25 = bm25s.BM25()
            bm25.index(lexical_tokens(texts), show_progress=False)
            bm25.save(str(tmp / "bm25"), show_progress=False)
            for f in (tmp / "bm25").iterdir():
                _fsync_file(f)
        _fsync_file(db)
        manifest = {
            "format": FORMAT_VERSION,
            "embedding": {**self.identity, "dim": dim},
            "documents": n_docs,
            "chunks": len(texts),
            "faiss": type(index).__name__,
            "search": search,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "versions": {"faiss": faiss.__version__, "bm25s": bm25s.__version__},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        _fsync_file(tmp / "manifest.json")
        return manifest

    def _collect_garbage(self, keep: set[str]) -> None:
        for child in self.root.iterdir():
            if child.name in keep or child.name in (CURRENT, LOCK):
                continue
            if child.is_dir() and (child.name.startswith("gen-") or child.name.startswith(".tmp-")):
                shutil.rmtree(child, ignore_errors=True)
            elif child.name.startswith(f".{CURRENT}."):
                child.unlink(missing_ok=True)


def crash_point(name: str) -> None:
    """Fault injection for the crash-safety tests: BOT_CRASH_AT=<name> kills the process here, as a power
    cut or `kill -9` would."""
    if os.environ.get("BOT_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _idf(bm25: bm25s.BM25) -> dict[str, float]:
    """BM25 inverse document frequency of every indexed token (rarer tokens weigh more)."""
    n = bm25.scores["num_docs"]
    df = np.diff(bm25.scores["indptr"])
    return {t: float(np.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5))) for t, i in bm25.vocab_dict.items() if i < len(df)}


Rows = Sequence[tuple[np.ndarray, np.ndarray | None]]  # vector sources: (array, the row numbers kept, or all)


def _row_count(pieces: Rows) -> int:
    return sum(len(a) if idx is None else len(idx) for a, idx in pieces)


def _blocks(pieces: Rows, size: int = 100_000):
    """The rows of `pieces` in order, as float32 blocks: a write never holds all vectors twice in memory."""
    for array, idx in pieces:
        n = len(array) if idx is None else len(idx)
        for start in range(0, n, size):
            block = array[start : start + size] if idx is None else array[idx[start : start + size]]
            yield np.ascontiguousarray(block, dtype=np.float32)


def _write_rows(path: Path, pieces: Rows, dim: int) -> None:
    """An .npy file of all rows of `pieces`, written block by block."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False,
                "shape": (_row_count(pieces), dim)})
        for block in _blocks(pieces):
            f.write(block.tobytes())
        _fsync_handle(f)


def build_faiss(pieces: Rows, dim: int) -> tuple[faiss.Index, dict]:
    """The vector index and how it searches (kind, parameters, recall@10 against exact search).

    Below APPROXIMATE_THRESHOLD vectors: exact search. Past it, an inverted file over 8-bit codes, probing
    the fewest lists that reach TARGET_RECALL on a sample of the corpus's own vectors (each looking for its
    neighbours other than itself). When the vectors have no cluster structure (random vectors, the worst
    case) no small probe count gets there, and a uniform 8-bit scan of every vector does: a quarter of the
    memory of exact search at about 0.97 recall. HNSW was measured too and needed more memory for less recall
    on such vectors (scripts/scale_bench.py, BENCHMARKS.md)."""
    n = _row_count(pieces)
    if n < APPROXIMATE_THRESHOLD:
        index = faiss.IndexFlatIP(dim)
        for block in _blocks(pieces):
            index.add(block)
        return index, {"kind": "exact", "recall_at_10": 1.0}
    rng = np.random.default_rng(0)
    chosen = np.sort(rng.choice(n, size=min(n, 100_000), replace=False))
    sample = _rows_at(pieces, chosen)
    probe = rng.choice(len(chosen), size=200, replace=False)
    queries, own = sample[probe], chosen[probe]
    truth = _others(exact_top(_blocks(pieces), queries, 11), own)

    def recall(index) -> float:
        found = _others(index.search(queries, 11)[1], own)
        return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))

    nlist = 2 ** max(8, round(np.log2(np.sqrt(n))))
    # residuals need a range per dimension: one range for all capped recall at 0.965 on clustered vectors
    ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                        faiss.METRIC_INNER_PRODUCT)
    ivf.train(sample)
    for block in _blocks(pieces):
        ivf.add(block)
    nprobe = 1
    while nprobe <= nlist // 8:
        ivf.nprobe = nprobe
        measured = recall(ivf)
        if measured >= TARGET_RECALL:
            return ivf, {"kind": "ivf-sq8", "nlist": nlist, "nprobe": nprobe, "recall_at_10": round(measured, 3)}
        nprobe *= 2
    del ivf
    scan = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT)
    scan.train(sample)
    for block in _blocks(pieces):
        scan.add(block)
    return scan, {"kind": "sq8-scan", "recall_at_10": round(recall(scan), 3)}


def _rows_at(pieces: Rows, positions: np.ndarray) -> np.ndarray:
    """The rows at sorted global `positions`, gathered block by block."""
    out, pos = [], 0
    for block in _blocks(pieces):
        lo, hi = np.searchsorted(positions, [pos, pos + len(block)])
        out.append(block[positions[lo:hi] - pos])
        pos += len(block)
    return np.concatenate(out)


def exact_top(blocks, queries: np.ndarray, k: int) -> np.ndarray:
    """Ids of the exact top-k inner products of `queries` over the vectors in `blocks`, one block at a time."""
    best = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), k), dtype=np.int64)
    start = 0
    for block in blocks:
        scores = queries @ np.asarray(block, dtype=np.float32).T
        cand = np.concatenate([best, scores], axis=1)
        cand_ids = np.concatenate([best_ids, np.broadcast_to(np.arange(start, start + len(block)), scores.shape)], axis=1)
        top = np.argpartition(-cand, k - 1, axis=1)[:, :k]
        best, best_ids = np.take_along_axis(cand, top, 1), np.take_along_axis(cand_ids, top, 1)
        start += len(block)
    return best_ids


def _others(ids: np.ndarray, own: np.ndarray) -> list[list[int]]:
    """Each row's ids without the query's own id, cut to one less than asked."""
    k = ids.shape[1] - 1
    return [[int(i) for i in row if i != me and i >= 0][:k] for row, me in zip(ids, own)]


class _WriterLock:
    """Exclusive, cross-process lock: two writers never build on the same base at once."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> "_WriterLock":
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)


def _fsync_handle(f) -> None:
    f.flush()
    os.fsync(f.fileno())


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync_file(path)
