#!/usr/bin/python3
"""Write the ONNX test fixtures of Sink Lens (deterministic; no network).

    /usr/bin/python3 tools/torch_ref/export_fixtures.py --out .cache/fixtures           # default set
    /usr/bin/python3 tools/torch_ref/export_fixtures.py --out DIR --only gpt2-random     # one
    /usr/bin/python3 tools/torch_ref/export_fixtures.py --out DIR --bench     # benchmark models only

Each fixture folder: model.onnx, config.json, weights.pt (state_dict), fixture.json (how it was
made) and, for the trained ones, tokenizer.json + tokenizer_config.json (byte-level, id 0 = <bos>).
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # more threads is slower here (shared 2-core box)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import collections
import json
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx  # noqa: E402
import torch  # noqa: E402

import byte_tokenizer  # noqa: E402
import train as training  # noqa: E402
from archs import ArchConfig  # noqa: E402
from models import Gpt2Config, LlamaConfig, build, hf_config_dict, random_init  # noqa: E402
from variants import VARIANTS, make_variant  # noqa: E402
from wild import WILD, export as export_wild  # noqa: E402

OPSET = 14
SMALL_LLAMA = dict(num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=4,
                   hidden_size=64, intermediate_size=128, vocab_size=256,
                   max_position_embeddings=1024)
BENCH_LLAMA = dict(num_attention_heads=8, num_key_value_heads=4, hidden_size=256,
                   intermediate_size=688, vocab_size=1024, max_position_embeddings=8192)

# name -> (config, kind, seed, extra). Trained fixtures: steps sized for <= ~45 s on one thread.
FIXTURES = {
    "llama-gqa-random": (LlamaConfig(**SMALL_LLAMA), "random", 101, {}),
    "gpt2-random": (Gpt2Config(), "random", 102, {}),
    "llama-trained": (LlamaConfig(**SMALL_LLAMA, tie_word_embeddings=True), "trained", 103,
                      dict(steps=500)),
    "gpt2-trained": (Gpt2Config(), "trained", 104, dict(steps=900)),
    "llama-bench-4": (LlamaConfig(num_hidden_layers=4, **BENCH_LLAMA), "random", 105, {}),
    "llama-bench-24": (LlamaConfig(num_hidden_layers=24, **BENCH_LLAMA), "random", 106, {}),
    # Architecture fixtures (archs.py), random weights, a few seconds each. Prompts longer than
    # the window (4) exercise the sliding-window layers.
    "mistral-swa": (ArchConfig("mistral", rms_norm_eps=1e-5, sliding_window=4), "random", 107, {}),
    "qwen2-bias": (ArchConfig("qwen2", sliding_window=4, use_sliding_window=False,
                              max_window_layers=2), "random", 108, {}),
    "qwen3-qknorm": (ArchConfig("qwen3", hidden_size=32, head_dim=16, intermediate_size=96,
                                tie_word_embeddings=True, max_window_layers=2), "random", 109, {}),
    "phi3-fused": (ArchConfig("phi3", rms_norm_eps=1e-5), "random", 110, {}),
    "gemma-scaled": (ArchConfig("gemma2", num_hidden_layers=3, hidden_size=48, head_dim=16,
                                tie_word_embeddings=True, query_pre_attn_scalar=16, sliding_window=4,
                                layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                                attn_logit_softcapping=50.0, final_logit_softcapping=30.0),
                     "random", 111, {}),
    "qwen3-moe": (ArchConfig("qwen3_moe", num_hidden_layers=3, hidden_size=32, head_dim=16,
                             intermediate_size=64, num_experts=4, num_experts_per_tok=2,
                             moe_intermediate_size=32, mlp_only_layers=[1], max_window_layers=3),
                  "random", 112, {}),
}
ARCH = ["mistral-swa", "qwen2-bias", "qwen3-qknorm", "phi3-fused", "gemma-scaled", "qwen3-moe"]
DEFAULT = ["llama-gqa-random", "gpt2-random", "llama-trained", "gpt2-trained"] + ARCH
BENCH = ["llama-bench-4", "llama-bench-24"]
TRAIN = dict(seq=64, batch=32, lr=3e-3)


class LogitsOnly(torch.nn.Module):
    """The exported function: input_ids -> logits, nothing else (no head mask, no records)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids)


def plain_export(model, path):
    """input_ids -> logits at OPSET, dynamic batch and sequence axes, constants folded."""
    ids = torch.arange(8).unsqueeze(0) % model.cfg.vocab_size  # any ids: the axes are dynamic
    with torch.no_grad():
        torch.onnx.export(LogitsOnly(model), (ids,), path, input_names=["input_ids"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                        "logits": {0: "batch", 1: "seq"}},
                          opset_version=OPSET, do_constant_folding=True)


def export_onnx(model, cfg, path, name):
    if hasattr(model, "set_dense_moe"):  # MoE: every expert, top-k-masked weights (plain ops)
        model.set_dense_moe(True)
    plain_export(model, path)
    if hasattr(model, "set_dense_moe"):
        model.set_dense_moe(False)
    proto = onnx.load(path)
    for key, value in (("source", f"sink-lens tools/torch_ref fixture {name}"),
                       ("bos_token_id", str(cfg.bos_token_id))):
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    ops = collections.Counter(n.op_type for n in proto.graph.node)
    # The engine finds one attention per Softmax: make sure the export kept exactly one per layer
    # (plus one router Softmax per mixture-of-experts layer).
    routers = sum(cfg.moe(l) for l in range(cfg.num_hidden_layers)) if hasattr(cfg, "moe") else 0
    assert ops["Softmax"] == cfg.num_hidden_layers + routers, ops
    return ops


def make(name, out_root):
    cfg, kind, seed, extra = FIXTURES[name]
    folder = os.path.join(out_root, name)
    os.makedirs(folder, exist_ok=True)
    t0 = time.time()
    torch.manual_seed(seed)
    model = build(cfg)
    meta = dict(name=name, kind=kind, seed=seed, family=cfg.model_type,
                made_by="tools/torch_ref/export_fixtures.py", torch=torch.__version__,
                onnx_opset=OPSET, rope=None if cfg.model_type == "gpt2" else "rotate_half (HF)")
    if isinstance(cfg, ArchConfig):
        meta["hf_class"] = hf_config_dict(cfg)["architectures"][0]
        meta["sliding_layers"] = [l for l in range(cfg.num_hidden_layers) if cfg.sliding(l)]
        meta["moe_layers"] = [l for l in range(cfg.num_hidden_layers) if cfg.moe(l)]
    if kind == "random":
        random_init(model, seed)
        meta["init"] = "random_init: N(0, 1/fan_in) projections, q x2, random norm gains/biases"
        if isinstance(cfg, ArchConfig):
            meta["init"] = ("archs.random_init: N(0, 1/fan_in) projections, q x2 (Qwen3: q_norm "
                            "gain x2), random norm gains (Gemma: w of 1 + w) and biases")
    else:
        data, corpus_info = training.corpus()
        training.small_init(model, seed)
        torch.set_num_threads(1)
        loss = training.train(model, data, extra["steps"], seed, bos_id=cfg.bos_token_id,
                              **TRAIN, log=print)
        meta["training"] = dict(corpus_info, steps=extra["steps"], **TRAIN, optimizer="AdamW",
                                final_loss_nats_per_byte=round(loss, 4),
                                note=f"windows start with BOS id {cfg.bos_token_id}; positions "
                                     f">= {TRAIN['seq']} were never trained")
        byte_tokenizer.write(folder)
    model.eval()
    t1 = time.time()
    torch.save(model.state_dict(), os.path.join(folder, "weights.pt"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf_config_dict(cfg), f, indent=2)
    ops = export_onnx(model, cfg, os.path.join(folder, "model.onnx"), name)
    with open(os.path.join(folder, "fixture.json"), "w") as f:
        json.dump(meta, f, indent=2)
    size = os.path.getsize(os.path.join(folder, "model.onnx")) / 1e6
    print(f"{name}: {kind}, {cfg.model_type} L={cfg.num_hidden_layers} d={cfg.hidden_size} "
          f"H={cfg.num_attention_heads}, model.onnx {size:.1f} MB, "
          f"make {t1 - t0:.1f} s + export {time.time() - t1:.1f} s, "
          f"{sum(ops.values())} nodes ({ops['Softmax']} Softmax, {ops['MatMul']} MatMul, "
          f"{ops['Add']} Add)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", required=True, help="folder that receives one sub-folder per fixture")
    ap.add_argument("--only", action="append", choices=sorted(FIXTURES) + sorted(VARIANTS) + sorted(WILD),
                    help="make only this fixture (repeatable)")
    ap.add_argument("--bench", action="store_true",
                    help="make the benchmark fixtures (llama-bench-4, llama-bench-24) instead of "
                         "the default set")
    args = ap.parse_args()
    names = (args.only or []) + (BENCH if args.bench else [])
    names = names or DEFAULT
    t0 = time.time()
    for name in names:
        if name in VARIANTS:  # another fixture's model, exported differently (variants.py)
            make_variant(name, args.out, FIXTURES, plain_export)
        elif name in WILD:  # exporter shapes from the wild (wild.py)
            export_wild(name, os.path.join(args.out, name), FIXTURES)
        else:
            make(name, args.out)
    print(f"wrote {len(names)} fixture(s) to {os.path.abspath(args.out)} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
