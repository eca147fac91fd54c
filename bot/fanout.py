"""Ingestion fanned out over a Ray cluster: `citebot ingest PATH... --ray auto|ADDRESS`.

Documents are read where the command runs (the files need not exist on the other nodes), shipped to a pool of
Ray actors, one per CPU of the cluster, each holding its own tokenizer and model, which prepare them
(sentences, chunks, facts) and embed them exactly as in-process ingestion does; this process then writes the
new generation, in one transaction as always. The result equals in-process ingestion: the same code runs on
the same inputs. Nodes need citebot installed (the same version) and can reach the model; on a GPU node, the
embedding runs wherever the Embedder puts it.
"""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.errors import BotError
from bot.ingest import Document
from bot.preparation import Prepared, prepare, to_write

log = logging.getLogger(__name__)


class _Preparer:
    """One model per actor; `run` turns a document into its DocumentWrite."""

    def __init__(self, model_path: str, backend: str, cache_dir: str, chunk_tokens: int, domain_names: str):
        from pathlib import Path

        from bot.embedding import Embedder
        from bot.facts.domains import enabled

        self.embedder = Embedder(model_path, backend=backend, cache_dir=Path(cache_dir))
        self.max_tokens = min(chunk_tokens, self.embedder.max_tokens)
        self.domains = enabled(domain_names)

    def run(self, doc: Document | Prepared):
        ready = doc if isinstance(doc, Prepared) else prepare(doc, self.embedder, max_tokens=self.max_tokens,
                                                               domains=self.domains)
        vectors, sentence_vectors = self.embedder.encode_with_parts(
            [c.text for c in ready.chunks], [c.sentence_ranges(ready.doc.text) for c in ready.chunks])
        return to_write(ready, vectors, sentence_vectors, dim=self.embedder.dim)


def prepare_on_ray(docs: list[Document | Prepared], settings: Settings, *, address: str, dim: int) -> list:
    """The DocumentWrites of `docs`, in order, computed on the Ray cluster at `address` ("auto": the one this
    machine belongs to)."""
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise BotError("--ray needs Ray: pip install 'ray'") from None
    if not docs:
        return []
    if address != "auto":
        _reachable(address)
    try:
        ray.init(address=address, log_to_driver=False, ignore_reinit_error=True, configure_logging=False)
    except Exception as exc:  # no cluster at that address: say so, the index stays as it was
        raise BotError(f"cannot reach a Ray cluster at {address!r} ({exc}); start one with `ray start --head`") from None
    try:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor = ray.remote(num_cpus=1)(_Preparer)
        pool = ActorPool([actor.remote(settings.model_path(), settings.embedding_backend, str(settings.cache_dir),
                                       settings.chunk_tokens, settings.fact_domains)
                          for _ in range(min(cpus, len(docs)))])
        writes = list(pool.map(lambda a, d: a.run.remote(d), docs))
    finally:
        ray.shutdown()
    for w in writes:
        if w.vectors.shape[1:] != (dim,):
            raise BotError(f"the Ray workers' model gives {w.vectors.shape[1:]} vectors, this index holds {dim}: "
                           "install the same citebot and model on every node")
    return writes


def _reachable(address: str) -> None:
    """Ray retries an absent cluster for minutes; a closed port is refused here at once."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except (OSError, ValueError) as exc:
        raise BotError(f"cannot reach a Ray cluster at {address!r} ({exc}); start one with `ray start --head`, "
                       "or pass --ray auto on a node of a running cluster") from None

