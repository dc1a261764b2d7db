"""BERT-base encoder (12 layers, hidden 768, 12 heads, FFN 3072) at sequence length 128, as GEMMs.

Sources: Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding", NAACL 2019 (arXiv:1810.04805), section 3 (BERT-BASE: L=12, H=768, A=12, FFN 4H);
Vaswani et al. 2017 for the encoder layer; names follow Hugging Face `BertLayer`
(`attention.self.query` -> `layer{i}.attention.query`, `intermediate.dense` -> `layer{i}.intermediate`).

What is counted:
- Q/K/V/attention-output projections and the two FFN layers are `Dense` on (N, S, 768), with
  bias: 10,871,635,968 MACs per sequence of 128.
- Each of the 24 LayerNorms has 768 gamma + 768 beta; the IR has no LayerNorm, so they are carried
  as `batchnorm=True` on the Dense just before each residual Add (same per-feature gamma/beta
  count). Encoder params = 12 x 7,087,872 = 85,054,464.
- Embeddings (word 30522x768, position 512x768, type 2x768, their LayerNorm: 23,837,184 params)
  are a table lookup with no MACs and only N*S rows read, so they are not layers and not in
  `total_params()`; `metadata["embedding_params"]` keeps the number. No pooler, no task head.

Attention is two batched MatMuls per layer with the heads as the batch: scores
(N*12, S, 64) @ (N*12, 64, S) with softmax, and context (N*12, S, S) @ (N*12, S, 64); zero-cost
`Reshape` layers split Q/K/V into heads (K transposed) and merge the context back to (N, S, 768).
Together 2 x 12 x N x S^2 x 768 = 301,989,888 MACs per sequence of 128.

Not a layer: layer 0's first residual Add reads the embeddings (the network input) together with a
producer, which `LayerGraph.add` does not allow; it is one element-wise add of N x S x 768 with no
MACs, recorded in `metadata["omitted"]`.
"""

from __future__ import annotations

from accelsim.ir import LayerGraph
from workloads._builder import Builder

LAYERS = 12
HIDDEN = 768
HEADS = 12
FFN = 3072
SEQ_LEN = 128
VOCAB = 30522
MAX_POSITIONS = 512
TYPE_VOCAB = 2


def _embedding_params() -> int:
    return (VOCAB + MAX_POSITIONS + TYPE_VOCAB) * HIDDEN + 2 * HIDDEN


def bert_base(batch: int = 1, seq_len: int = SEQ_LEN) -> LayerGraph:
    """BERT-base encoder: 85,054,464 params; 10.87 GMAC in Dense layers + 0.30 GMAC in attention MatMuls."""
    n, s = batch, seq_len
    b = Builder(
        "bert_base",
        (n, s, HIDDEN),
        source="Devlin et al., NAACL 2019 (BERT-BASE); Hugging Face BertLayer names",
        dataset="text",
        seq_len=s,
        hidden=HIDDEN,
        heads=HEADS,
        ffn=FFN,
        layers=LAYERS,
        embedding_params=_embedding_params(),
        omitted=["layer0.attention.add (residual from the network input)"],
    )
    x: str | None = None  # None: the embeddings, i.e. the network input
    for i in range(LAYERS):
        p = f"layer{i}"
        q = b.dense(f"{p}.attention.query", x, HIDDEN)
        k = b.dense(f"{p}.attention.key", x, HIDDEN)
        v = b.dense(f"{p}.attention.value", x, HIDDEN)
        dh = HIDDEN // HEADS
        qh = b.reshape(f"{p}.attention.query_heads", q, (n * HEADS, s, dh))
        kt = b.reshape(f"{p}.attention.key_heads_t", k, (n * HEADS, dh, s))
        vh = b.reshape(f"{p}.attention.value_heads", v, (n * HEADS, s, dh))
        scores = b.matmul(f"{p}.attention.scores", qh, kt, act="softmax")
        context = b.matmul(f"{p}.attention.context", scores, vh)
        core = b.reshape(f"{p}.attention.merge_heads", context, (n, s, HIDDEN))
        y = b.dense(f"{p}.attention.output", core, HIDDEN, bn=True)  # bn: LayerNorm gamma/beta
        if x is not None:
            y = b.add(f"{p}.attention.add", [y, x])
        h = b.dense(f"{p}.intermediate", y, FFN, act="gelu")
        h = b.dense(f"{p}.output", h, HIDDEN, bn=True)  # bn: LayerNorm gamma/beta
        x = b.add(f"{p}.add", [h, y])
    return b.graph


__all__ = ["bert_base"]
