"""Ingestion is linear in its input: each hostile document class, ingested (parse, sentences, chunks, facts)
at two sizes four times apart, takes at most six times as long at the larger size. Ratios within one run,
best of three timings with the garbage collector held off, so a busy machine slows both sizes alike."""

from __future__ import annotations

import gc
import time

import pytest

from bot.errors import DocumentRejected
from hostile import GENERATORS, ingest_work

SMALL = 20_000


def _best_time(text: str, tokens, rounds: int = 3) -> float:
    """Best of `rounds`, with the garbage collector held off while timing: a collection landing in one
    timing is a pause of the whole process, not a cost of the input's size."""
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        started = time.perf_counter()
        try:
            ingest_work(text, tokens)
        except DocumentRejected:
            pass
        finally:
            elapsed = time.perf_counter() - started
            gc.enable()
        best = min(best, elapsed)
    return best


@pytest.fixture(scope="module")
def tokens(bot):
    ingest_work(GENERATORS["ordinary prose"](3000), bot.embedder)  # warm the tokenizer and the lemma tables
    return bot.embedder


@pytest.mark.parametrize("name", list(GENERATORS))
def test_ingestion_time_grows_linearly(tokens, name):
    gen = GENERATORS[name]
    small, large = _best_time(gen(SMALL), tokens), _best_time(gen(4 * SMALL), tokens)
    ratio = large / max(small, 0.005)  # under 5 ms a timing is mostly noise
    print(f"{name}: {small:.3f}s -> {large:.3f}s (x{ratio:.1f})")
    assert ratio <= 6, f"{name}: {small:.3f}s at {SMALL} chars, {large:.3f}s at {4 * SMALL} (x{ratio:.1f})"
