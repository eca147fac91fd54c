"""The two runtimes agree, the ONNX model is exported once into the cache, and sentence vectors from the
chunk pass land on the right tokens."""

from __future__ import annotations

import numpy as np

from bot.config import Settings
from bot.embedding import Embedder

TEXTS = ["Sokolo attack: The Malian government stated that 20 soldiers were killed.",
         "JNIM claimed that three of their fighters had been killed.",
         "The boiling point of mercury is 630 kelvin."]


def test_onnx_export_is_cached_and_agrees_with_torch(tmp_path):
    path = Settings().model_path()
    onnx = Embedder(path, backend="onnx", cache_dir=tmp_path)
    torch = Embedder(path, backend="torch", cache_dir=tmp_path)
    model = onnx.onnx_model()
    assert model.exists() and model.parent.parent == tmp_path
    stamp = model.stat().st_mtime_ns
    assert Embedder(path, backend="onnx", cache_dir=tmp_path).onnx_model().stat().st_mtime_ns == stamp
    a, b = onnx.encode(TEXTS), torch.encode(TEXTS)
    assert a.shape == b.shape == (3, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-4)
    assert (a * b).sum(axis=1).min() > 0.97
    assert onnx.identity()["backend"] != torch.identity()["backend"]
    # the bundled BERT-type model gets ONNX Runtime's fused, quantized attention (the speed depends on it)
    import onnx as onnx_lib

    ops = {node.op_type for node in onnx_lib.load(str(model)).graph.node}
    assert {"QAttention", "QEmbedLayerNormalization", "SkipLayerNormalization"} <= ops


def test_sentence_vectors_come_from_their_own_tokens(tmp_path):
    emb = Embedder(Settings().model_path(), backend="onnx", cache_dir=tmp_path)
    text = "Title: The soldiers were killed at dawn. The weather was sunny and warm."
    first = (text.index("The soldiers"), text.index("dawn.") + 5)
    second = (text.index("The weather"), len(text))
    vecs, parts = emb.encode_with_parts([text], [[first, second]])
    killed, weather = emb.encode(["soldiers killed in an attack", "sunny warm weather"])
    assert parts[0].shape == (2, 384)
    assert parts[0][0] @ killed > parts[0][1] @ killed
    assert parts[0][1] @ weather > parts[0][0] @ weather
    assert np.allclose(vecs[0], emb.encode([text])[0], atol=1e-5)
