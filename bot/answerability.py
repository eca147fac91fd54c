"""Does this evidence answer this question? A small cross-encoder reads the question together with a
candidate sentence (headed by its document title and section) and gives a logit; `bot.confidence` turns it,
with the retriever's own signals, into a calibrated confidence.

The encoder is the bundled MiniLM's embeddings and first layers, fine-tuned on SQuAD 2.0 tune articles
(scripts/train_answerability.py). Only the fine-tuned layers and the head are committed (fp16, a few MB);
the rest comes from the bundled model, and the int8 ONNX graph is built once into the cache, like the
embedder's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from bot.embedding import cores, int8_onnx, onnx_session
from bot.matching import fold

log = logging.getLogger(__name__)

WEIGHTS = "weights.safetensors"
META = "meta.json"
DEFAULT_DIR = Path(__file__).resolve().parent / "models" / "answerability"


def pair_text(title: str, section: str, sentence: str) -> str:
    """The second segment the cross-encoder reads: where the sentence sits, then the sentence."""
    return f"{title} \u2014 {section}: {sentence}" if section else f"{title}: {sentence}"


def _torch_module():
    import torch
    from transformers import AutoConfig, AutoModel

    class CrossEncoder(torch.nn.Module):
        """MiniLM's first `layers` layers and a linear head on the mean of the token states (the pooling the
        model was pretrained with; its [CLS] state hardly varies between inputs)."""

        def __init__(self, encoder, hidden: int):
            super().__init__()
            self.encoder = encoder
            self.head = torch.nn.Linear(hidden, 1)
            self.span = torch.nn.Linear(hidden, 2)  # answer start/end per token: trains the reading, unused at run time

        @classmethod
        def from_base(cls, base: str, *, layers: int) -> "CrossEncoder":
            config = AutoConfig.from_pretrained(base, num_hidden_layers=layers)
            encoder = AutoModel.from_pretrained(base, config=config, local_files_only=True,
                                                attn_implementation="eager", add_pooling_layer=False)
            return cls(encoder, config.hidden_size)

        @classmethod
        def load(cls, folder: Path, base: str) -> "CrossEncoder":
            from safetensors.torch import load_file

            meta = json.loads((folder / META).read_text())
            model = cls.from_base(base, layers=int(meta["layers"]))
            state = {k: v.float() for k, v in load_file(str(folder / WEIGHTS)).items()}
            missing, unexpected = model.load_state_dict(state, strict=False)
            if unexpected or any(not k.startswith(("encoder.embeddings.", "span.")) for k in missing):
                raise ValueError(f"{folder}: weights do not fit the base model ({unexpected or missing})")
            return model.eval()

        def forward(self, input_ids, attention_mask, token_type_ids, with_spans: bool = False):
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            logit = self.head(pooled).squeeze(-1)
            return (logit, self.span(states)) if with_spans else logit

        def save(self, folder: Path, *, meta: dict) -> None:
            """The fine-tuned part only (the embeddings stay the base model's), in fp16."""
            from safetensors.torch import save_file

            folder.mkdir(parents=True, exist_ok=True)
            state = {k: v.detach().half().contiguous() for k, v in self.state_dict().items()
                     if not k.startswith(("encoder.embeddings.", "span."))}
            save_file(state, str(folder / WEIGHTS))
            (folder / META).write_text(json.dumps(meta, indent=1) + "\n")

    return CrossEncoder


def __getattr__(name: str):
    if name == "CrossEncoder":  # torch is imported only where the module is trained or exported
        return _torch_module()
    raise AttributeError(name)


class Answerability:
    """Scores (question, sentence) pairs with the fine-tuned cross-encoder; int8 ONNX by default."""

    def __init__(self, folder: Path = DEFAULT_DIR, *, base: str, cache_dir: Path, backend: str = "onnx"):
        if not (folder / WEIGHTS).exists():
            raise ValueError(f"{folder}: no answerability model ({WEIGHTS}); run scripts/train_answerability.py")
        self.folder = folder
        self.base = base
        self.cache_dir = Path(cache_dir)
        self.backend = backend
        self.meta = json.loads((folder / META).read_text())
        self.max_len = int(self.meta.get("max_len", 128))

    @cached_property
    def fingerprint(self) -> str:
        h = hashlib.sha256((self.folder / WEIGHTS).read_bytes())
        h.update((self.folder / META).read_bytes())
        return h.hexdigest()[:16]

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(Path(self.base) / "tokenizer.json"))
        tok.enable_truncation(self.max_len, strategy="only_second")
        tok.no_padding()
        return tok

    @cached_property
    def _torch(self):
        return _torch_module().load(self.folder, self.base)

    @cached_property
    def _session(self):
        return onnx_session(self.onnx_model())

    def onnx_model(self) -> Path:
        target = self.cache_dir / "onnx" / f"answerability-{self.fingerprint}.onnx"
        config = json.loads((Path(self.base) / "config.json").read_text())
        probe = self._feed([self._tokenizer.encode("What is a probe?", "A probe is a test.")])
        return int8_onnx(target, self._export, model_type=config.get("model_type", ""),
                         num_heads=int(config["num_attention_heads"]), hidden_size=int(config["hidden_size"]),
                         probe=probe)

    def _export(self, out: Path) -> None:
        import torch

        model = self._torch
        dummy = torch.ones(1, 8, dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        torch.onnx.export(model, (dummy, dummy, torch.zeros_like(dummy)), str(out),
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logit"],
                          opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "logit": {0: "batch"}})

    @staticmethod
    def _feed(encodings) -> dict:
        return {"input_ids": np.array([e.ids for e in encodings], np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], np.int64)}

    def warm(self) -> None:
        self.logits(["warm up"], [("", "", "warm up")])

    def logits(self, questions: Sequence[str], evidence: Sequence[tuple[str, str, str]]) -> np.ndarray:
        """One logit per (question, (title, section, sentence)) pair: higher means the sentence answers."""
        if not questions:
            return np.zeros(0, np.float32)
        encodings = self._tokenizer.encode_batch(
            [(q, pair_text(*ev)) for q, ev in zip(questions, evidence)])
        if self.backend == "torch":
            import torch

            with torch.inference_mode():
                return np.array([float(self._torch(**{k: torch.from_numpy(v) for k, v in self._feed([e]).items()})[0])
                                 for e in encodings], np.float32)
        run = lambda e: float(self._session.run(None, self._feed([e]))[0][0])  # noqa: E731
        if len(encodings) > 1 and cores() > 1:
            return np.array(list(self._pool.map(run, encodings)), np.float32)
        return np.array([run(e) for e in encodings], np.float32)

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        """Kept for the process: starting threads for every question cost more than a third of the reading."""
        return ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="answerability")


# -- features and calibration ------------------------------------------------------------------------

_NAME = re.compile(r"[A-Z][\w'’.-]*[\w]|\d[\d,.]*\d|\d")
_NOT_NAMES = frozenset(
    "i a an the what which who whom whose when where why how is are was were do does did can could would should "
    "will has have had in on at of for to and or but if as by with from after before during since than that this "
    "these those there it its they their".split())


def question_names(question: str) -> list[str]:
    """Proper names, numbers and years the question relies on (its capitalised words past the first)."""
    out = []
    for i, m in enumerate(_NAME.finditer(question)):
        word = m.group(0).rstrip(".")
        if m.start() == 0 or word.lower() in _NOT_NAMES:
            continue
        out.append(word)
    return list(dict.fromkeys(out))


def _present(name: str, folded_text: str) -> bool:
    """A name is present when the text has it as a word, or a word that starts with its first five letters
    ('Malian' for 'Mali'), or one letter off for long names (spelling variants)."""
    n = fold(name)
    if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", folded_text):
        return True
    if len(n) >= 5 and re.search(rf"(?<!\w){re.escape(n[:5])}", folded_text):
        return True
    if len(n) >= 6:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        words = set(re.findall(r"\w{%d,%d}" % (len(n) - 1, len(n) + 1), folded_text))
        return process.extractOne(n, words, scorer=Levenshtein.distance, score_cutoff=1) is not None
    return False


@dataclass(frozen=True)
class Evidence:
    """What the calibrator reads about one candidate sentence for one question."""

    logit: float  # the cross-encoder's
    coverage: float  # IDF share of the question's terms in the sentence, its title and section
    dense: float  # cosine of question and sentence vectors
    missing_here: float  # share of the question's names absent from the passage, its title and section
    missing_doc: float  # share of the question's names absent from the whole document

    def vector(self) -> list[float]:
        return [self.logit, self.coverage, self.dense, self.missing_here, self.missing_doc]


def name_gaps(question: str, here: str, document: str) -> tuple[float, float]:
    """(share of the question's names missing from `here`, share missing from `document`)."""
    names = question_names(question)
    if not names:
        return 0.0, 0.0
    here_f, doc_f = fold(here), fold(document)
    return (sum(not _present(n, here_f) for n in names) / len(names),
            sum(not _present(n, doc_f) for n in names) / len(names))


@dataclass(frozen=True)
class Calibrator:
    """Logistic regression over Evidence: P(this sentence answers this question), fit on held-out SQuAD 2.0
    tune articles. `threshold` is the operating point it was fit for (see calibration.json)."""

    weights: tuple[float, ...]
    bias: float
    threshold: float
    operating_point: dict

    @classmethod
    def load(cls, path: Path) -> "Calibrator":
        data = json.loads(path.read_text())
        return cls(tuple(data["weights"]), float(data["bias"]), float(data["threshold"]), data.get("operating_point", {}))

    def confidence(self, ev: Evidence) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, ev.vector()))
        return float(1.0 / (1.0 + np.exp(-z)))


# Until scripts/train_answerability.py has written a calibration, the logit alone decides (sigmoid).
_UNCALIBRATED = Calibrator((1.0, 0.0, 0.0, 0.0, 0.0), 0.0, 0.5, {})


class Judge:
    """The cross-encoder and its calibration: P(this sentence answers this question) for candidates."""

    def __init__(self, folder: Path = DEFAULT_DIR, *, base: str, cache_dir: Path, backend: str = "onnx"):
        self.model = Answerability(folder, base=base, cache_dir=cache_dir, backend=backend)
        path = folder / "calibration.json"
        self.calibrator = Calibrator.load(path) if path.exists() else _UNCALIBRATED

    @property
    def threshold(self) -> float:
        return self.calibrator.threshold

    def logits(self, questions, evidence) -> list[float]:
        return [float(x) for x in self.model.logits(questions, evidence)]

    def confidence(self, ev: Evidence) -> float:
        return self.calibrator.confidence(ev)

    def warm(self) -> None:
        self.model.warm()
