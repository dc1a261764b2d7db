"""BERT-base encoder (12 layers, hidden 768, 12 heads, FFN 3072) at sequence length 128, as GEMMs.

Sources: Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding", NAACL 2019 (arXiv:1810.04805), section 3 (BERT-BASE: L=12, H=768, A=12, FFN 4H);
Vaswani et al. 2017 for the encoder layer; names follow Hugging Face `BertLayer`
(`attention.self.query` -> `layer{i}.attention.query`, `intermediate.dense` -> `layer{i}.intermediate`).

What is counted:
- Q/K/V/attention-output projections and the two FFN layers are `Dense` on (N, S, 768), with
  bias: 10,871,635,968 MACs per sequence of 128.
- The vector operations are layers of their own: the three embedding lookups (word 30522x768,
  position 512x768, token type 2x768) summed by an `Add` and normalised by a `LayerNorm`; per
  encoder layer a `Softmax` on the attention scores, a GELU `Activation` after the intermediate
  layer, and the two post-residual `LayerNorm`s (BERT is post-norm: LN(x + sublayer(x))).
  Encoder params = 12 x 7,087,872 = 85,054,464; embeddings 23,837,184; together 108,891,648
  (109,482,240 with the pooler, which, like any task head, is not included).
- The lookups read only the N x S rows they use (`Embedding.side_read_elems`), so the tables are
  parameters but not MAC weights (`total_weights()` counts the 84,934,656 Dense weights).

Attention is two batched MatMuls per layer with the heads as the batch: scores
(N*12, S, 64) @ (N*12, 64, S), softmax, and context (N*12, S, S) @ (N*12, S, 64); zero-cost
`Reshape` layers split Q/K/V into heads (K transposed) and merge the context back to (N, S, 768).
Together 2 x 12 x N x S^2 x 768 = 301,989,888 MACs per sequence of 128.
"""

from __future__ import annotations

from accelsim.ir import LayerGraph
from accelsim.ir.vector_layers import Activation, LayerNorm, Softmax
from workloads._builder import Builder

LAYERS = 12
HIDDEN = 768
HEADS = 12
FFN = 3072
SEQ_LEN = 128
VOCAB = 30522
MAX_POSITIONS = 512
TYPE_VOCAB = 2


def bert_base(batch: int = 1, seq_len: int = SEQ_LEN) -> LayerGraph:
    """BERT-base encoder: 108,891,648 params; 10.87 GMAC in Dense layers + 0.30 GMAC in attention MatMuls."""
    n, s = batch, seq_len
    b = Builder(
        "bert_base",
        (n, s),
        source="Devlin et al., NAACL 2019 (BERT-BASE); Hugging Face BertLayer names",
        dataset="text",
        seq_len=s,
        hidden=HIDDEN,
        heads=HEADS,
        ffn=FFN,
        layers=LAYERS,
    )
    parts = [
        b.embedding(f"embeddings.{kind}", rows, HIDDEN)
        for kind, rows in (("word", VOCAB), ("position", MAX_POSITIONS), ("token_type", TYPE_VOCAB))
    ]
    x = b.vector(LayerNorm, "embeddings.LayerNorm", b.add("embeddings.add", parts))
    for i in range(LAYERS):
        p = f"layer{i}"
        q = b.dense(f"{p}.attention.query", x, HIDDEN)
        k = b.dense(f"{p}.attention.key", x, HIDDEN)
        v = b.dense(f"{p}.attention.value", x, HIDDEN)
        dh = HIDDEN // HEADS
        qh = b.reshape(f"{p}.attention.query_heads", q, (n * HEADS, s, dh))
        kt = b.reshape(f"{p}.attention.key_heads_t", k, (n * HEADS, dh, s))
        vh = b.reshape(f"{p}.attention.value_heads", v, (n * HEADS, s, dh))
        scores = b.matmul(f"{p}.attention.scores", qh, kt)
        probs = b.vector(Softmax, f"{p}.attention.softmax", scores)
        context = b.matmul(f"{p}.attention.context", probs, vh)
        core = b.reshape(f"{p}.attention.merge_heads", context, (n, s, HIDDEN))
        y = b.dense(f"{p}.attention.output", core, HIDDEN)
        y = b.vector(LayerNorm, f"{p}.attention.LayerNorm", b.add(f"{p}.attention.add", [y, x]))
        h = b.dense(f"{p}.intermediate", y, FFN)
        h = b.vector(Activation, f"{p}.intermediate.gelu", h, fn="gelu")
        h = b.dense(f"{p}.output", h, HIDDEN)
        x = b.vector(LayerNorm, f"{p}.output.LayerNorm", b.add(f"{p}.add", [h, y]))
    return b.graph


__all__ = ["bert_base"]
