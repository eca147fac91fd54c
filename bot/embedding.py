"""The embedder: the one place that loads sentence-transformers. Offline, batched, normalised vectors."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Embedder:
    """Encodes texts into unit vectors. The model loads on first use, once; token counts need no model."""

    def __init__(self, model_path: str, *, backend: str = "torch", batch_size: int = 64):
        if backend not in ("torch", "onnx"):
            raise ValueError(f"unknown embedding backend {backend!r}; use 'torch' or 'onnx'")
        path = Path(model_path)
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ValueError(f"{model_path}: not a sentence-transformers model directory (set BOT_MODEL)")
        self.model_path = path
        self.backend = backend
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @cached_property
    def fingerprint(self) -> str:
        """Identifies the exact weights, so an index refuses vectors from another model."""
        h = hashlib.sha256()
        for name in ("config.json", "modules.json", "tokenizer.json"):
            f = self.model_path / name
            if f.exists():
                h.update(f.read_bytes())
        for f in sorted(self.model_path.glob("*.safetensors")) + sorted(self.model_path.glob("*.bin")):
            h.update(f"{f.name}:{f.stat().st_size}".encode())
        return h.hexdigest()[:16]

    @property
    def name(self) -> str:
        return self.model_path.name if self.model_path.name != "model" else self.model_path.parent.name

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    @cached_property
    def max_tokens(self) -> int:
        """Tokens the model reads per text, less [CLS] and [SEP]."""
        cfg = self.model_path / "sentence_bert_config.json"
        seq = json.loads(cfg.read_text()).get("max_seq_length", 256) if cfg.exists() else 256
        return int(seq) - 2

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    @cached_property
    def _model(self):
        from sentence_transformers import SentenceTransformer

        log.info("loading embedding model from %s", self.model_path)
        return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @cached_property
    def dim(self) -> int:
        return int(self.encode(["dimension probe"]).shape[1])

    def warm(self) -> None:
        _ = self.dim

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def identity(self) -> dict:
        return {"model": self.name, "fingerprint": self.fingerprint, "backend": self.backend}
