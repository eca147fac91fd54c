"""The embedder: the one place that runs the model. Offline, batched, normalised vectors.

Two runtimes: PyTorch through sentence-transformers, and ONNX Runtime with an int8 model exported once from
the same weights and cached. The ONNX graph has its attention, layer norms and GELU fused by ONNX Runtime's
transformer optimizer before the weights are quantized per channel, and it runs one text at a time: no
padding, and on this kind of CPU that is faster than batches. One forward pass over a chunk yields both the
chunk's vector and a vector for each of its sentences (mean of the sentence's token states), so sentences
cost no second pass.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

Parts = Sequence[tuple[int, int]]  # character ranges inside one text

# Names the ONNX build recipe: it is in the cached file's name and in the index's identity, so a change of
# recipe (other vectors) re-exports the model and makes an old index ask to be rebuilt.
ONNX_RECIPE = "fused-int8"


class Embedder:
    """Encodes texts into unit vectors. The model loads on first use, once; token counts need no model."""

    def __init__(self, model_path: str, *, backend: str = "torch", batch_size: int = 64, cache_dir: Path | None = None):
        if backend not in ("torch", "onnx"):
            raise ValueError(f"unknown embedding backend {backend!r}; use 'torch' or 'onnx'")
        path = Path(model_path)
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ValueError(f"{model_path}: not a sentence-transformers model directory (set BOT_MODEL)")
        self.model_path = path
        self.backend = backend
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir or Path.home() / ".cache" / "citebot")
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
    def _batch_tokenizer(self):
        """Tokenizer for model input: special tokens, truncation to the window, padding per batch."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tok.enable_truncation(self.max_tokens + 2)
        tok.enable_padding()
        return tok

    @cached_property
    def max_tokens(self) -> int:
        """Tokens the model reads per text, less [CLS] and [SEP]."""
        cfg = self.model_path / "sentence_bert_config.json"
        seq = json.loads(cfg.read_text()).get("max_seq_length", 256) if cfg.exists() else 256
        return int(seq) - 2

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)]

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character range of each model token of `text` (no special tokens)."""
        return [tuple(o) for o in self._tokenizer.encode(text, add_special_tokens=False).offsets]

    # -- runtimes ------------------------------------------------------------------------------------

    @cached_property
    def _model(self):
        from sentence_transformers import SentenceTransformer

        log.info("loading embedding model from %s", self.model_path)
        return SentenceTransformer(str(self.model_path), device="cpu", local_files_only=True)

    @cached_property
    def _session(self):
        return onnx_session(self.onnx_model())

    def onnx_model(self) -> Path:
        """The int8 ONNX model for these weights, exported and quantized once into the cache."""
        target = self.cache_dir / "onnx" / f"{self.fingerprint}-{ONNX_RECIPE}.onnx"
        config = json.loads((self.model_path / "config.json").read_text())
        probe = self._batch_tokenizer.encode_batch(["A probe sentence for the fused graph.", "Another one."])
        feed = {"input_ids": np.array([e.ids for e in probe], np.int64),
                "attention_mask": np.array([e.attention_mask for e in probe], np.int64)}
        feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
        return int8_onnx(target, self._export, model_type=config.get("model_type", ""),
                         num_heads=int(config["num_attention_heads"]), hidden_size=int(config["hidden_size"]),
                         probe=feed)

    def _export(self, out: Path) -> None:
        import torch
        from transformers import AutoModel

        # eager attention exports the classic attention subgraph, which the optimizer knows how to fuse
        model = AutoModel.from_pretrained(str(self.model_path), local_files_only=True,
                                          attn_implementation="eager").eval()

        class Encoder(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        dummy = torch.ones(2, 8, dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        torch.onnx.export(Encoder(model), (dummy, dummy, torch.zeros_like(dummy)), str(out),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["hidden"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "hidden": axes})

    # -- encoding ------------------------------------------------------------------------------------

    @cached_property
    def dim(self) -> int:
        return int(self.encode(["dimension probe"]).shape[1])

    def warm(self) -> None:
        _ = self.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for `texts`: the mean of their token states, as sentence-transformers pools this model.
        Questions and chunks go through the same pass, whichever the runtime."""
        return self.encode_with_parts(texts, [[] for _ in texts])[0]

    def encode_with_parts(self, texts: Sequence[str], parts: Sequence[Parts]) -> tuple[np.ndarray, list[np.ndarray]]:
        """One pass: a vector per text, and a vector per character range of each text (its sentences).

        ONNX runs one unpadded text per call, on one thread per core at once: a single text's many small
        steps (layer norms, GELU) leave a multi-threaded run waiting, so separate runs keep the cores busier."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        order = np.argsort([len(t) for t in texts], kind="stable")
        size = 1 if self.backend == "onnx" else self.batch_size
        groups = [order[start : start + size] for start in range(0, len(texts), size)]
        vecs: list[np.ndarray | None] = [None] * len(texts)
        part_vecs: list[np.ndarray | None] = [None] * len(texts)

        def run(idx: np.ndarray) -> None:
            encodings = self._batch_tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = self._token_states(ids, mask)
            for row, i in enumerate(idx):
                m = mask[row].astype(bool)
                states = hidden[row]
                vecs[i] = _unit(states[m].mean(axis=0))
                offsets = np.array(encodings[row].offsets)
                real = m & (offsets[:, 1] > offsets[:, 0])
                pv = []
                for a, b in parts[i]:
                    sel = real & (offsets[:, 0] >= a) & (offsets[:, 1] <= b)
                    pv.append(_unit(states[sel if sel.any() else m].mean(axis=0)))
                part_vecs[i] = np.array(pv, dtype=np.float32) if pv else np.zeros((0, states.shape[1]), np.float32)

        if self.backend == "onnx" and len(groups) > 1 and cores() > 1:
            with ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="embed") as pool:
                list(pool.map(run, groups))
        else:
            for idx in groups:
                run(idx)
        return np.array(vecs, dtype=np.float32).reshape(len(texts), -1), part_vecs  # type: ignore[arg-type]

    def _token_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.backend == "onnx":  # InferenceSession.run is thread-safe
            return self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                            "token_type_ids": np.zeros_like(ids)})[0]
        import torch

        with self._lock, torch.inference_mode():
            module = self._model[0].auto_model
            out = module(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                         token_type_ids=torch.zeros_like(torch.from_numpy(ids)))
            return out.last_hidden_state.numpy()

    def identity(self) -> dict:
        backend = f"onnx-{ONNX_RECIPE}" if self.backend == "onnx" else self.backend
        return {"model": self.name, "fingerprint": self.fingerprint, "backend": backend}


def onnx_session(path: Path):
    """A single-threaded ONNX Runtime session: callers run one text per call, one call per core at once."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def int8_onnx(target: Path, export, *, model_type: str, num_heads: int, hidden_size: int, probe: dict) -> Path:
    """`target`, built once: `export(path)` writes the fp32 graph, ONNX Runtime's transformer optimizer fuses
    it (kept only if it agrees with the plain graph on `probe`), and the weights are quantized per channel."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{uuid.uuid4().hex}"
    tmp.mkdir()
    # a first run otherwise sits silent for 10-30 s behind the exporters' own warnings and progress bars
    print(f"citebot: preparing the model {target.stem} for this machine (once; about 10-30 s)...", file=sys.stderr,
          flush=True)
    started = time.perf_counter()
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            verbosity = hf_logging.get_verbosity()
            hf_logging.set_verbosity_error()
            fp32 = tmp / "model.onnx"
            export(fp32)
            fp32 = _fuse(fp32, tmp / "fused.onnx", model_type=model_type, num_heads=num_heads,
                         hidden_size=hidden_size, probe=probe)
            from onnx import TensorProto
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # per-channel int8 weights keep cosine similarity to the fp32 model at about 0.99; the default
            # tensor type lets the quantizer read the fused (contrib-domain) nodes' outputs
            quantize_dynamic(str(fp32), str(tmp / "int8.onnx"), weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"DefaultTensorType": TensorProto.FLOAT})
            hf_logging.set_verbosity(verbosity)
        os.replace(tmp / "int8.onnx", target)
    finally:
        root.setLevel(level)
        for f in tmp.glob("*"):
            f.unlink()
        tmp.rmdir()
    print(f"citebot: model ready in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return target


def _fuse(model: Path, out: Path, *, model_type: str, num_heads: int, hidden_size: int, probe: dict) -> Path:
    """Fuse attention, embedding and layer norms, and GELU when ONNX Runtime knows the architecture and the
    fused graph gives the same output; otherwise keep the plain graph (correct, only slower)."""
    import onnxruntime as ort
    from onnxruntime.transformers.optimizer import MODEL_TYPES, optimize_model

    if model_type not in MODEL_TYPES:
        log.info("no ONNX fusion for model type %r; using the plain graph", model_type)
        return model
    try:
        fused = optimize_model(str(model), model_type=model_type, num_heads=num_heads, hidden_size=hidden_size,
                               opt_level=1)
        fused.save_model_to_file(str(out))
        plain, merged = (ort.InferenceSession(str(m), providers=["CPUExecutionProvider"]).run(None, probe)[0]
                         for m in (model, out))
        if plain.ndim == 3:
            mask = probe["attention_mask"].astype(bool)
            plain, merged = plain[mask], merged[mask]
        if not np.allclose(plain, merged, atol=1e-3):
            raise ValueError("the fused graph's output differs from the plain graph's")
    except Exception as exc:  # the optimizer is best-effort by design; the plain graph is always right
        log.warning("ONNX fusion skipped (%s); using the plain graph", exc)
        return model
    return out


def cores() -> int:
    """CPUs this process may run on (the affinity mask, which containers narrow), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return (v / n if n > 0 else v).astype(np.float32)
