#!/usr/bin/python3
"""Independent PyTorch reference for the Sink Lens engine: prints ONE JSON object.

    /usr/bin/python3 tools/torch_ref/reference.py --model PATH --ids 1,2,3 \
        [--ablate 0:3,1:0] [--full-attention LAYER] [--float64 | --bfloat16 | --bfloat16-values] [--no-logits]

PATH: a fixture folder (config.json + weights.pt; any model_type of models.py / archs.py / neox.py:
llama, gpt2, mistral, qwen2, qwen3, phi3, gemma2, gemma3_text, olmo2, qwen3_moe, gpt_neox), a Hugging
Face checkpoint folder (config.json + model.safetensors or its index; the same model types:
tools/hf_ref/hf_load.py)
or a plain LLaMA ONNX export (a .onnx file, or a folder with model.onnx and no weights.pt, e.g.
models/sinklet), whose weights are read from the graph (onnx_llama.py; dimensions from the ONNX
metadata `config` or a config.json beside the file).
Output (float64 numbers; depths 0, 0.5, ..., L, without l + 0.5 for a parallel block;
ANALYSES.md defines each quantity):
  depths, norms [depth][T], firstTokenAttention [L][H][T], sinkScore [L][H], received [L][T],
  layerMedian [depth], mlpNorms [L][T]
  (a layer's entry is null for a mixture-of-experts MLP),
  p0Hidden [depth][D], logits [T][V], attention [H][T][T] (only with --full-attention).
Precision of the forward pass: float32 by default; --float64; --bfloat16 runs the model as a
bfloat16 export holds it (`model.to(torch.bfloat16)`, torch's own bfloat16 arithmetic);
--bfloat16-values runs float32 from exactly the values such an export holds (LLaMA only: see
bfloat16_values), which is what the engine computes for a bfloat16 model on the CPU.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import copy
import json
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import math  # noqa: E402

import torch  # noqa: E402

from models import Llama, LlamaAttention, RMSNorm, build, config_from_dict  # noqa: E402


def load_model(path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hf_ref"))
    import hf_load
    if hf_load.is_checkpoint(path) and not os.path.exists(os.path.join(path, "weights.pt")):
        return hf_load.load(path)
    if os.path.isdir(path) and os.path.exists(os.path.join(path, "weights.pt")):
        with open(os.path.join(path, "config.json")) as f:
            model = build(config_from_dict(json.load(f)))
        model.load_state_dict(torch.load(os.path.join(path, "weights.pt")))
        return model.eval()
    onnx_path = os.path.join(path, "model.onnx") if os.path.isdir(path) else path
    import onnx_llama  # imports onnx only when needed
    model, _ = onnx_llama.load(onnx_path)
    return model


def parse_ablate(text, layers, heads):
    mask = torch.ones(layers, heads)
    for item in filter(None, (text or "").split(",")):
        l, h = (int(v) for v in item.split(":"))
        if not (0 <= l < layers and 0 <= h < heads):
            raise SystemExit(f"--ablate {item}: the model has {layers} layers x {heads} heads")
        mask[l, h] = 0.0
    return mask


def bfloat16_values(model):
    """A float32 copy of a LLaMA computing from exactly the values its bfloat16 export holds
    (bf16.py, `model.to(torch.bfloat16)`): parameters and buffers (the RoPE tables) rounded to
    bfloat16, and the two scalars torch writes into the graph as bfloat16 constants rounded too,
    the attention scale 1/sqrt(hd) and the norms' eps. The other constants of that graph (2 for
    the square, 1, 0 and -inf of the mask) are exact in bfloat16."""
    if type(model) is not Llama:
        raise SystemExit("--bfloat16-values: only for LLaMA models (models.Llama)")
    model = copy.deepcopy(model).to(torch.bfloat16).float()
    rounded = lambda value: torch.tensor(value, dtype=torch.bfloat16).item()
    for module in model.modules():
        if isinstance(module, RMSNorm):
            module.eps = rounded(module.eps)
        if isinstance(module, LlamaAttention):
            module.scale = rounded(1.0 / math.sqrt(module.hd))
    return model


def analyse(model, ids, head_mask=None, full_attention=None, logits=True, precision="float32"):
    dtype = {"float64": torch.float64, "bfloat16": torch.bfloat16}.get(precision, torch.float32)
    if precision == "float64":
        model = copy.deepcopy(model).double()
    elif precision == "bfloat16":
        model = copy.deepcopy(model).to(torch.bfloat16)
    elif precision == "bfloat16-values":
        model = bfloat16_values(model)
    x = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        rec = model(x, head_mask=None if head_mask is None else head_mask.to(dtype), record=True)
    d64 = lambda t: t[0].double()  # batch of one; analyse in float64
    L = len(rec["attn"])
    out = {
        # a parallel block (GPT-NeoX) has no state after its attention: the model says which depths exist
        "depths": rec.get("depths") or [d / 2 for d in range(2 * L + 1)],
        "norms": [d64(h).norm(dim=-1).tolist() for h in rec["hidden"]],
        "firstTokenAttention": [d64(a)[:, :, 0].tolist() for a in rec["attn"]],
        "sinkScore": [d64(a)[:, :, 0].mean(dim=-1).tolist() for a in rec["attn"]],
        # attention received by each key: (1/(H*T)) sum over heads and queries of the full probabilities
        "received": [d64(a).mean(dim=(0, 1)).tolist() for a in rec["attn"]],
        # Sun et al.'s reference magnitude: torch.median (the lower middle value) of |h| over the
        # whole layer output, all positions and dims (locuslab/massive-activations)
        "layerMedian": [torch.median(d64(h).abs()).item() for h in rec["hidden"]],
        # null for a mixture-of-experts layer: no single tensor is its MLP activation
        "mlpNorms": [None if m is None else d64(m).norm(dim=-1).tolist() for m in rec["mlp_act"]],
        "p0Hidden": [d64(h)[0].tolist() for h in rec["hidden"]],
        # P0 separation: mean over t >= 1 of cos(h[d][0], h[d][t]), per depth
        "p0Separation": [torch.nn.functional.cosine_similarity(d64(h)[1:], d64(h)[0:1], dim=-1).mean().item()
                         if d64(h).shape[0] > 1 else None for h in rec["hidden"]],
        # the MLP activation (down-projection input) at P0, per layer; null for mixture-of-experts layers
        "mlpP0": [None if m is None else d64(m)[0].tolist() for m in rec["mlp_act"]],
    }
    if logits:
        out["logits"] = d64(rec["logits"]).tolist()
    if full_attention is not None:
        out["attention"] = d64(rec["attn"][full_attention]).tolist()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True, help="comma-separated token ids, used as given")
    ap.add_argument("--ablate", help="heads to ablate, LAYER:HEAD,... (output zeroed before o_proj)")
    ap.add_argument("--full-attention", type=int, metavar="LAYER", help="also print A[LAYER]")
    precision = ap.add_mutually_exclusive_group()
    precision.add_argument("--float64", action="store_const", dest="precision", const="float64",
                           help="run the forward in float64")
    precision.add_argument("--bfloat16", action="store_const", dest="precision", const="bfloat16",
                           help="run the forward in bfloat16 (torch's bfloat16 arithmetic)")
    precision.add_argument("--bfloat16-values", action="store_const", dest="precision", const="bfloat16-values",
                           help="float32 from the values a bfloat16 export holds (LLaMA)")
    ap.add_argument("--no-logits", action="store_true", help="leave out logits (large for long T)")
    args = ap.parse_args()
    ids = [int(v) for v in args.ids.split(",")]
    model = load_model(args.model)
    cfg = model.cfg
    if any(not 0 <= i < cfg.vocab_size for i in ids):
        raise SystemExit(f"--ids: every id must be in [0, {cfg.vocab_size})")
    if args.full_attention is not None and not 0 <= args.full_attention < cfg.num_hidden_layers:
        raise SystemExit(f"--full-attention: layer must be in [0, {cfg.num_hidden_layers})")
    head_mask = parse_ablate(args.ablate, cfg.num_hidden_layers, cfg.num_attention_heads) \
        if args.ablate else None
    out = analyse(model, ids, head_mask, args.full_attention, not args.no_logits, args.precision or "float32")
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
