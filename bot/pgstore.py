"""The index in PostgreSQL + pgvector, for several API processes (or machines) over one database.

Chosen by `BOT_DATABASE_URL=postgresql://...`; the same interface as `bot.store.IndexStore`. Rows are never
changed in place: each write is one transaction that adds a generation, marks the rows it replaces as dead
from that generation on (`died`), inserts the new rows (`born`) and moves the `index_current` pointer. A
reader pins the generation it loaded and sees exactly the rows alive in it, so it never sees half a write;
rows dead in the previous generation are removed by a later write once GC_GRACE_SECONDS have passed, so a
request still reading an older generation finishes on it.

Dense search is pgvector's HNSW over inner product (iterative scans, so the generation filter never starves
the result); the lexical path is the same BM25 (Lucene idf, k1 1.5, b 0.75) as the directory store, computed
from postings (term, chunk, tf) and chunk lengths kept in PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

import numpy as np

from bot.errors import Busy, DatabaseUnavailable
from bot.facts.model import Fact
from bot.store import FORMAT_VERSION, DocumentInfo, DocumentWrite, Snapshot, check_manifest, lexical_tokens

K1, B = 1.5, 0.75  # bm25s defaults, so both backends rank alike
LOCK_KEY = 0x636974656269  # the advisory lock writers take ("citebi")
SCHEMA_LOCK_KEY = LOCK_KEY + 1  # the one taken while creating tables
HNSW = {"m": 16, "ef_construction": 64}
POSTINGS_CACHED = 2_000_000  # posting entries a snapshot keeps in memory (about 24 MB)
EF_SEARCH = 200  # candidates HNSW keeps per search by default (BOT_HNSW_EF_SEARCH)
POOL_TIMEOUT = 10.0  # seconds a request waits for a pooled connection before it is answered 503
GC_GRACE_SECONDS = 600.0  # how long rows replaced by a write stay readable for requests still on them
COPY_BATCH = 5_000  # chunks sent per COPY, so a large write never holds all its rows at once

ALIVE = "born <= %(gen)s AND (died IS NULL OR died > %(gen)s)"

_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS index_generations (
    gen BIGSERIAL PRIMARY KEY, manifest JSONB NOT NULL, created TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS index_current (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), gen BIGINT NOT NULL REFERENCES index_generations
);
CREATE TABLE IF NOT EXISTS index_documents (
    row_id BIGSERIAL PRIMARY KEY, born BIGINT NOT NULL, died BIGINT, doc_id TEXT NOT NULL, title TEXT NOT NULL,
    sha256 TEXT NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL, structure TEXT NOT NULL,
    chars INTEGER NOT NULL, chunks INTEGER NOT NULL, ingested_at DOUBLE PRECISION NOT NULL, format TEXT NOT NULL,
    original BYTEA, original_sha256 TEXT NOT NULL, source_map BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS index_documents_doc ON index_documents (doc_id);
CREATE TABLE IF NOT EXISTS index_facts (
    id BIGSERIAL PRIMARY KEY, born BIGINT NOT NULL, died BIGINT, doc_id TEXT NOT NULL, payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS index_facts_doc ON index_facts (doc_id);
"""

# made after the rows are in: on a first load the graph is built once over all of them (several times faster
# than row by row); later writes find the indexes there and add to them
_LOAD_INDEXES = """
CREATE INDEX IF NOT EXISTS index_chunks_hnsw ON index_chunks
    USING hnsw (embedding vector_ip_ops) WITH (m = {m}, ef_construction = {ef_construction});
CREATE INDEX IF NOT EXISTS index_postings_term ON index_postings (term) INCLUDE (chunk_id, tf);
CREATE INDEX IF NOT EXISTS index_postings_chunk ON index_postings (chunk_id);
""".format(**HNSW)

_CHUNKS = """
CREATE TABLE IF NOT EXISTS index_chunks (
    id BIGSERIAL PRIMARY KEY, born BIGINT NOT NULL, died BIGINT, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, kind TEXT NOT NULL, section TEXT NOT NULL, text TEXT NOT NULL,
    sentences TEXT NOT NULL, n_sentences INTEGER NOT NULL, length INTEGER NOT NULL,
    embedding vector({dim}) NOT NULL, sentence_vectors BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS index_chunks_doc ON index_chunks (doc_id);
CREATE TABLE IF NOT EXISTS index_postings (
    term TEXT NOT NULL, chunk_id BIGINT NOT NULL, tf INTEGER NOT NULL  -- removed with their chunk (see write)
);
"""


@contextmanager
def reachable():
    """Turn a database that is down, unreachable or out of connections into a clear 503 (the index and the
    conversation store both use it)."""
    import psycopg
    from psycopg_pool import PoolTimeout

    try:
        yield
    except (psycopg.OperationalError, PoolTimeout) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(f"the index database cannot be reached ({first}); try again shortly") from None


def _connect(url: str, *, autocommit: bool = True):
    import psycopg
    from pgvector.psycopg import register_vector

    with reachable():
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    try:
        register_vector(conn)
    except psycopg.ProgrammingError:  # the extension is not created yet (a fresh database)
        pass
    return conn


def _recall(conn, gen: int, ef_search: int, samples: int = 50) -> float:
    """Recall@10 of the HNSW search against exact search, for a fixed sample of the generation's own chunk
    vectors as queries (each looking for its neighbours other than itself)."""
    conn.execute("SELECT setseed(0)")
    queries = conn.execute(f"SELECT id, embedding FROM index_chunks WHERE {ALIVE} ORDER BY random() LIMIT %(n)s",
                           {"gen": gen, "n": samples}).fetchall()
    conn.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    search = f"SELECT id FROM index_chunks WHERE {ALIVE} ORDER BY embedding <#> %(q)s LIMIT 11"
    found = []
    for own, q in queries:
        conn.execute("SET LOCAL enable_indexscan = on")
        approx = [r[0] for r in conn.execute(search, {"gen": gen, "q": q}) if r[0] != own][:10]
        conn.execute("SET LOCAL enable_indexscan = off")
        exact = [r[0] for r in conn.execute(search, {"gen": gen, "q": q}) if r[0] != own][:10]
        if exact:
            found.append(len(set(approx) & set(exact)) / len(exact))
    conn.execute("SET LOCAL enable_indexscan = on")
    return round(float(np.mean(found)), 3) if found else 1.0


class PgSnapshot(Snapshot):
    """One generation of the index in PostgreSQL, pinned: every read filters on rows alive in it."""

    def __init__(self, store: "PgIndexStore", gen: int, manifest: dict, documents: dict[str, DocumentInfo],
                 chunk_doc: np.ndarray, chunk_rowid: np.ndarray, doc_ids: list[str],
                 chunk_first_sentence: np.ndarray, lengths: np.ndarray):
        super().__init__(manifest, documents, chunk_doc, chunk_rowid, doc_ids, chunk_first_sentence)
        self._store = store
        self.gen = gen
        avg_length = float(lengths.mean()) if len(lengths) else 1.0
        self._length_norm = (K1 * (1 - B + B * lengths / avg_length)).astype(np.float32)  # BM25's per chunk
        self._df: dict[str, int] = {}  # document frequency of each term looked up so far
        self._postings_cache: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._postings_size = 0

    @property
    def generation(self) -> str:
        return f"pg-{self.gen:012d}"

    def _rows(self, sql: str, args: dict | None = None) -> list[tuple]:
        return self._store.query(sql, {"gen": self.gen, **(args or {})})

    def _document_field(self, doc_id: str, column: str):
        rows = self._rows(f"SELECT {column} FROM index_documents WHERE doc_id = %(d)s AND {ALIVE}", {"d": doc_id})
        if not rows:
            raise KeyError(doc_id)
        return rows[0][0]

    def _chunk_row(self, rowid: int) -> tuple:
        row, = self._rows('SELECT doc_id, ordinal, start, "end", kind, section, text, sentences '
                          "FROM index_chunks WHERE id = %(id)s", {"id": rowid})
        return row

    def facts(self, doc_id: str | None = None) -> list[Fact]:
        which = "" if doc_id is None else "doc_id = %(d)s AND "
        rows = self._rows(f"SELECT payload FROM index_facts WHERE {which}{ALIVE} ORDER BY id", {"d": doc_id})
        return [Fact.from_json(r[0]) for r in rows]

    def _vids(self, rowids: Iterable[int]) -> np.ndarray:
        """Positions of chunk row ids in this generation; -1 for rows not alive in it."""
        ids = np.fromiter(rowids, dtype=np.int64)
        if self.chunk_count == 0 or not len(ids):
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.searchsorted(self.chunk_rowid, ids)
        pos = np.minimum(pos, self.chunk_count - 1)
        return np.where(self.chunk_rowid[pos] == ids, pos, -1)

    def dense_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(query)
        if self.chunk_count == 0:
            return np.zeros((n, 0), dtype=np.float32), np.zeros((n, 0), dtype=np.int64)
        k = min(k, self.chunk_count)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        ids = np.full((n, k), -1, dtype=np.int64)
        for i, q in enumerate(np.asarray(query, dtype=np.float32)):
            rows = self._store.query(
                f"SELECT id, -(embedding <#> %(q)s) FROM index_chunks WHERE {ALIVE} "
                "ORDER BY embedding <#> %(q)s LIMIT %(k)s", {"q": q, "k": k, "gen": self.gen})
            rows.sort(key=lambda r: -r[1])  # iterative scans may return neighbours slightly out of order
            vids = self._vids(r[0] for r in rows)
            got = [(v, s) for v, (_, s) in zip(vids, rows) if v >= 0]
            ids[i, : len(got)] = [v for v, _ in got]
            scores[i, : len(got)] = [s for _, s in got]
        return scores, ids

    def _postings(self, terms: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per term: the vids of the chunks alive in this generation that hold it, and its count in each.
        Cached per snapshot (a pinned generation's postings never change), up to POSTINGS_CACHED entries."""
        with self._cache_lock:
            out = {t: self._postings_cache[t] for t in terms if t in self._postings_cache}
        missing = [t for t in terms if t not in out]
        if not missing:
            return out
        rows = self._store.query("SELECT term, chunk_id, tf FROM index_postings WHERE term = ANY(%(t)s)",
                                 {"t": missing})
        by_term: dict[str, list[tuple[int, int]]] = {t: [] for t in missing}
        for term, chunk_id, tf in rows:
            by_term[term].append((chunk_id, tf))
        for term, pairs in by_term.items():
            vids = self._vids(p[0] for p in pairs)
            tfs = np.fromiter((p[1] for p in pairs), dtype=np.float32, count=len(pairs))
            alive = vids >= 0
            out[term] = (vids[alive], tfs[alive])
        with self._cache_lock:
            for term in missing:
                if term in self._postings_cache:  # another thread fetched it meanwhile
                    continue
                self._postings_cache[term] = out[term]
                self._postings_size += len(out[term][0]) + 1
                self._df[term] = len(out[term][0])
                if len(self._df) > 200_000:
                    self._df.pop(next(iter(self._df)))
            while self._postings_size > POSTINGS_CACHED and self._postings_cache:
                _, (v, _) = self._postings_cache.popitem(last=False)
                self._postings_size -= len(v) + 1
        return out

    def _idf(self, df: int) -> float:
        n = self.chunk_count
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def lexical_scores(self, terms: Iterable[str]) -> np.ndarray:
        scores = np.zeros(self.chunk_count, dtype=np.float32)
        terms = list(terms)
        if not terms or self.chunk_count == 0:
            return scores
        postings = self._postings(sorted(set(terms)))
        norm = self._length_norm
        for term in terms:  # a repeated query term counts again, as in bm25s
            vids, tfs = postings[term]
            if len(vids):
                scores[vids] += self._idf(len(vids)) * tfs / (tfs + norm[vids])
        return scores

    def idf_of(self, terms: Iterable[str]) -> dict[str, float]:
        terms = list(terms)
        missing = sorted({t for t in terms if t not in self._df})
        if missing and self.chunk_count:
            self._postings(missing)
        # the rarest possible term's weight, as the directory store's (its rarest indexed term: nearly always one
        # chunk's); 1.0 for an empty index
        ceiling = self._idf(1) if self.chunk_count else 1.0
        return {t: self._idf(self._df[t]) if self._df.get(t) else ceiling for t in terms}

    def chunk_vectors(self, vids: np.ndarray) -> np.ndarray:
        vids = np.asarray(vids, dtype=np.int64)
        rows = self._store.query("SELECT id, embedding FROM index_chunks WHERE id = ANY(%(ids)s)",
                                 {"ids": [int(self.chunk_rowid[v]) for v in vids]}, binary=True)
        got = {r[0]: r[1].to_numpy().astype(np.float32, copy=False) for r in rows}  # pgvector Vector values
        dim = self.manifest["embedding"]["dim"]
        return np.stack([got[int(self.chunk_rowid[v])] for v in vids]) if len(vids) else np.zeros((0, dim), np.float32)

    def sentence_vectors_of(self, vids: Sequence[int]) -> list[np.ndarray]:
        if len(vids) == 0:
            return []
        rows = self._store.query("SELECT id, sentence_vectors FROM index_chunks WHERE id = ANY(%(ids)s)",
                                 {"ids": [int(self.chunk_rowid[v]) for v in vids]})
        got = {r[0]: bytes(r[1]) for r in rows}
        dim = self.manifest["embedding"]["dim"]
        return [np.frombuffer(got[int(self.chunk_rowid[v])], dtype=np.float32).reshape(-1, dim) for v in vids]


class PgIndexStore:
    """The index in one PostgreSQL database; the interface of `bot.store.IndexStore`."""

    def __init__(self, url: str, *, identity: dict, dim: int | None = None, pool_size: int = 4,
                 ef_search: int = EF_SEARCH):
        self.url = url
        self.ef_search = ef_search
        self.identity = identity
        self.dim = dim
        self.pool_size = pool_size
        self._pool = None
        self._pool_lock = threading.Lock()
        with _connect(url, autocommit=False) as conn, reachable(), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))  # servers starting together
            conn.execute(_SCHEMA)

    # -- connections -----------------------------------------------------------------------------

    def _connections(self):
        with self._pool_lock:
            if self._pool is None:
                from pgvector.psycopg import register_vector
                from psycopg_pool import ConnectionPool

                def configure(conn):
                    register_vector(conn)
                    conn.execute(f"SET hnsw.ef_search = {int(self.ef_search)}")
                    conn.execute("SET hnsw.iterative_scan = relaxed_order")

                self._pool = ConnectionPool(self.url, min_size=1, max_size=self.pool_size, open=True,
                                            configure=configure, kwargs={"autocommit": True})
            return self._pool

    def query(self, sql: str, args: dict, *, binary: bool = False) -> list[tuple]:
        """Rows of one statement on a pooled connection; `binary` results load vectors without parsing text."""
        import psycopg

        pool = self._connections()
        with reachable():
            try:
                with pool.connection(timeout=POOL_TIMEOUT) as conn:
                    return conn.execute(sql, args, binary=binary).fetchall()
            except psycopg.OperationalError:  # e.g. the server restarted: drop dead sessions, try once more
                pool.check()
                with pool.connection(timeout=POOL_TIMEOUT) as conn:
                    return conn.execute(sql, args, binary=binary).fetchall()

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    # -- the IndexStore interface ----------------------------------------------------------------

    def exists(self) -> bool:
        return self.stamp() is not None

    def stamp(self) -> int | None:
        rows = self.query("SELECT gen FROM index_current", {})
        return rows[0][0] if rows else None

    def writable(self) -> bool:
        return True

    def load(self) -> PgSnapshot | None:
        rows = self.query("SELECT c.gen, g.manifest FROM index_current c JOIN index_generations g USING (gen)", {})
        if not rows:
            return None
        gen, manifest = rows[0]
        how = "rebuild it: run `citebot ingest PATH` with the configured model against an empty database"
        check_manifest(manifest, self.identity, where="the index in PostgreSQL", how=how)
        return self._open(gen, manifest)

    def _open(self, gen: int, manifest: dict) -> PgSnapshot:
        args = {"gen": gen}
        docs = {}
        for doc_id, title, sha, chars, n, source, fmt, original_sha, at in self.query(
            "SELECT doc_id, title, sha256, chars, chunks, source, format, original_sha256, ingested_at "
            f"FROM index_documents WHERE {ALIVE} ORDER BY doc_id", args
        ):
            docs[doc_id] = DocumentInfo(doc_id, title, sha, chars, n, source, fmt, original_sha, at)
        doc_ids = list(docs)
        pos = {d: i for i, d in enumerate(doc_ids)}
        rows = self.query(f"SELECT id, doc_id, n_sentences, length FROM index_chunks WHERE {ALIVE} ORDER BY id", args) \
            if manifest.get("chunks") else []
        chunk_rowid = np.array([r[0] for r in rows], dtype=np.int64)
        chunk_doc = np.array([pos[r[1]] for r in rows], dtype=np.int32)
        counts = np.array([r[2] for r in rows], dtype=np.int64)
        lengths = np.array([r[3] for r in rows], dtype=np.int64)
        first_sentence = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return PgSnapshot(self, gen, manifest, docs, chunk_doc, chunk_rowid, doc_ids, first_sentence, lengths)

    @contextmanager
    def writing(self):
        """Hold the database-wide writer lock (an advisory lock) for a whole load-then-write."""
        conn = _connect(self.url)
        try:
            with reachable():
                conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
            yield
        finally:
            conn.close()  # closing the session releases the lock

    def write(self, base: PgSnapshot | None, *, upserts: Sequence[DocumentWrite],
              removals: Sequence[str]) -> PgSnapshot:
        """Add a generation from `base` plus changes and make it current, in one transaction. Call inside
        `writing()`; a base that is no longer current is refused rather than overwritten."""
        for u in upserts:
            if len(u.sentence_vectors) != sum(len(c.sentences) for c in u.chunks):
                raise ValueError(f"{u.doc_id}: sentence vectors do not match its chunks' sentences")
            if len(u.chunks) != len(u.vectors):
                raise ValueError(f"{u.doc_id}: {len(u.chunks)} chunks but {len(u.vectors)} vectors")
        dim = next((u.vectors.shape[1] for u in upserts if len(u.vectors)), None) or self.dim or (
            base.manifest["embedding"]["dim"] if base is not None else None)
        conn = _connect(self.url, autocommit=False)
        try:
            with reachable(), conn.transaction():
                    current = conn.execute("SELECT gen FROM index_current FOR UPDATE").fetchone()
                    current = current[0] if current else None
                    if (base.gen if base is not None else None) != current:
                        raise Busy("the index changed while this write was prepared (another writer); try again")
                    if dim:
                        conn.execute(_CHUNKS.format(dim=int(dim)))
                        from pgvector.psycopg import register_vector
                        register_vector(conn)
                    gen = conn.execute("INSERT INTO index_generations (manifest) VALUES ('{}') RETURNING gen").fetchone()[0]
                    gone = sorted(set(removals) | {u.doc_id for u in upserts})
                    tables = ("index_documents", "index_facts") + (("index_chunks",) if dim else ())
                    for table in tables:
                        conn.execute(f"UPDATE {table} SET died = %s WHERE doc_id = ANY(%s) AND died IS NULL", (gen, gone))
                    self._insert(conn, gen, upserts, dim)
                    if dim:
                        conn.execute(_LOAD_INDEXES)
                    n_docs, = conn.execute(f"SELECT count(*) FROM index_documents WHERE {ALIVE}", {"gen": gen}).fetchone()
                    n_chunks = conn.execute(f"SELECT count(*) FROM index_chunks WHERE {ALIVE}",
                                            {"gen": gen}).fetchone()[0] if dim else 0
                    manifest = {
                        "format": FORMAT_VERSION,
                        "embedding": {**self.identity, "dim": dim or 0},
                        "documents": n_docs,
                        "chunks": n_chunks,
                        "search": {"kind": "pgvector-hnsw", **HNSW, "ef_search": self.ef_search,
                                   "recall_at_10": _recall(conn, gen, self.ef_search) if n_chunks else 1.0},
                        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    }
                    from psycopg.types.json import Jsonb
                    conn.execute("UPDATE index_generations SET manifest = %s WHERE gen = %s", (Jsonb(manifest), gen))
                    conn.execute("INSERT INTO index_current (one, gen) VALUES (TRUE, %s) "
                                 "ON CONFLICT (one) DO UPDATE SET gen = EXCLUDED.gen", (gen,))
                    if current is not None:
                        self._collect_garbage(conn, current, tables)
        finally:
            conn.close()
        return self._open(gen, manifest)

    @staticmethod
    def _collect_garbage(conn, current: int, tables: Sequence[str]) -> None:
        """Remove rows no reader can still see: dead in the previous generation or earlier (so invisible to it
        and to the new one), and dead for GC_GRACE_SECONDS (a reader pinned on an older generation has had
        that long to finish its request)."""
        old = ("SELECT gen FROM index_generations WHERE gen <= %(current)s "
               "AND created < now() - make_interval(secs => %(grace)s)")
        args = {"current": current, "grace": GC_GRACE_SECONDS}
        if "index_chunks" in tables:
            conn.execute(f"DELETE FROM index_postings WHERE chunk_id IN "
                         f"(SELECT id FROM index_chunks WHERE died IN ({old}))", args)
        for table in tables:
            conn.execute(f"DELETE FROM {table} WHERE died IN ({old})", args)
        conn.execute(f"DELETE FROM index_generations WHERE gen < %(current)s AND gen IN ({old})", args)

    @staticmethod
    def _insert(conn, gen: int, upserts: Sequence[DocumentWrite], dim: int | None) -> None:
        now = time.time()
        with conn.cursor().copy(
            "COPY index_documents (born, doc_id, title, sha256, source, text, structure, chars, chunks, "
            "ingested_at, format, original, original_sha256, source_map) FROM STDIN"
        ) as copy:
            for u in upserts:
                copy.write_row((gen, u.doc_id, u.title, u.sha256, u.source, u.text, json.dumps(u.structure),
                                len(u.text), len(u.chunks), now, u.format, u.original,
                                u.original_sha256,
                                u.source_map.to_bytes()))
        with conn.cursor().copy("COPY index_facts (born, doc_id, payload) FROM STDIN") as copy:
            for u in upserts:
                for f in u.facts:
                    copy.write_row((gen, u.doc_id, f.to_json()))
        total = sum(len(u.chunks) for u in upserts)
        if not total or not dim:
            return
        ids = iter(sorted(r[0] for r in conn.execute(
            "SELECT nextval(pg_get_serial_sequence('index_chunks', 'id')) FROM generate_series(1, %s)", (total,))))
        chunk_rows, posting_rows = [], []
        for u in upserts:
            tokens = lexical_tokens([c.text for c in u.chunks])
            first = 0
            for c, vec, toks in zip(u.chunks, u.vectors, tokens):
                cid = next(ids)
                n = len(c.sentences)
                svecs = np.ascontiguousarray(u.sentence_vectors[first : first + n], dtype=np.float32)
                first += n
                chunk_rows.append((cid, gen, u.doc_id, c.ordinal, c.span.start, c.span.end, c.kind, c.section,
                                   c.text, json.dumps([[s.start, s.end] for s in c.sentences]), n, len(toks),
                                   np.asarray(vec, dtype=np.float32), svecs.tobytes()))
                posting_rows.extend((t, cid, tf) for t, tf in Counter(toks).items())
            if len(chunk_rows) >= COPY_BATCH:
                _copy_chunks(conn, chunk_rows, posting_rows)
                chunk_rows, posting_rows = [], []
        _copy_chunks(conn, chunk_rows, posting_rows)


def _copy_chunks(conn, chunk_rows: list[tuple], posting_rows: list[tuple]) -> None:
    """One batch of chunk rows and their postings, by COPY (the chunks first: postings refer to them)."""
    with conn.cursor().copy(
        'COPY index_chunks (id, born, doc_id, ordinal, start, "end", kind, section, text, sentences, '
        "n_sentences, length, embedding, sentence_vectors) FROM STDIN WITH (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["int8", "int8", "text", "int4", "int4", "int4", "text", "text", "text", "text", "int4", "int4",
                        "vector", "bytea"])  # binary: vectors and bytes go as they are, not as text
        for row in chunk_rows:
            copy.write_row(row)
    with conn.cursor().copy("COPY index_postings (term, chunk_id, tf) FROM STDIN") as copy:
        # lexical tokens are word characters only (no tab, newline or backslash), so the text format needs no
        # escaping: one joined block is several times faster than a call per row
        copy.write("".join(f"{t}\t{c}\t{tf}\n" for t, c, tf in posting_rows))
