#!/usr/bin/python3
"""Write Hugging Face checkpoint fixtures for Sink Lens: config.json + safetensors with transformers'
tensor names and layouts, random weights, deterministic, no network.

    /usr/bin/python3 tools/hf_ref/make_checkpoints.py --out .cache/hf-fixtures            # all, ~10 s
    /usr/bin/python3 tools/hf_ref/make_checkpoints.py --out .cache/hf-fixtures --only hf-gpt2
    /usr/bin/python3 tools/hf_ref/make_checkpoints.py --bench .cache/hf-bench/qwen2.5-0.5b-shaped  # ~1 GB bf16
    /usr/bin/python3 tools/hf_ref/make_checkpoints.py --from-onnx-llama ../shared/models/stories260k/model.onnx \
        --out .cache/hf-fixtures --name hf-stories260k

The `from` fixtures hold exactly the weights of the ONNX fixture of that name
(tools/torch_ref/export_fixtures.py: same config, same seed), renamed (and, for GPT-2's Conv1D,
transposed) the way transformers saves them, so the engine's numbers on the checkpoint can be
compared with its numbers on the ONNX export. `hub/` is a hub cache (HF_HUB_CACHE) holding one model
in two revisions, with refs/, snapshots/<commit>/ symlinks and blobs/ as huggingface_hub lays them out.

--from-onnx-llama converts a plain LLaMA ONNX export (tools/torch_ref/onnx_llama.py reads its weights
by structure) the way transformers' convert_llama_weights_to_hf.py converts Meta's checkpoints: an
interleaved-RoPE model's q and k rows are permuted so that rotate_half on the stored rows rotates
the same pairs. The converted stories260k must then give the ONNX export's numbers: a check of the
HF q/k convention on a real trained model.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import hashlib
import json
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "torch_ref"))
import torch  # noqa: E402

import byte_tokenizer  # noqa: E402
import safetensors_file  # noqa: E402
from archs import ArchConfig, ArchDecoder  # noqa: E402
from archs import hf_config_dict as arch_config_dict  # noqa: E402
from archs import random_init as arch_random_init  # noqa: E402
from export_fixtures import FIXTURES  # noqa: E402
from models import build, hf_config_dict, random_init  # noqa: E402

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
LLAMA3 = dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
              original_max_position_embeddings=64)
SMALL_LLAMA = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                   intermediate_size=96, num_hidden_layers=3)

# name -> how it is made. `from`: an ONNX fixture's model; `arch`: a new archs model (config, seed).
# dtype: what the safetensors hold; prefix: False drops `model.` / `transformer.`; shards: > 1 writes
# an index; tokenizer: the byte tokenizer (id 0 = <bos>); bos_in: where bos_token_id is declared.
CHECKPOINTS = {
    "hf-llama": dict(source=("from", "llama-gqa-random"), dtype="float32", tokenizer=True, bos_in="generation_config"),
    "hf-llama-bf16": dict(source=("from", "llama-gqa-random"), dtype="bfloat16"),
    "hf-llama-fp16": dict(source=("from", "llama-gqa-random"), dtype="float16"),
    "hf-llama3-rope": dict(source=("arch", ArchConfig("llama", **SMALL_LLAMA, tie_word_embeddings=True, attention_bias=True,
                                                      mlp_bias=True, rope_scaling=LLAMA3), 121), dtype="float32", prefix=False),
    "hf-llama3-rope-bf16": dict(source=("arch", ArchConfig("llama", **SMALL_LLAMA, tie_word_embeddings=True, attention_bias=True,
                                                           mlp_bias=True, rope_scaling=LLAMA3), 121), dtype="bfloat16", prefix=False),
    "hf-llama-linear-rope": dict(source=("arch", ArchConfig("llama", **SMALL_LLAMA, rope_scaling=dict(type="linear", factor=2.0)), 122),
                                 dtype="float32"),
    "hf-mistral": dict(source=("from", "mistral-swa"), dtype="float32"),
    "hf-mistral-bf16": dict(source=("from", "mistral-swa"), dtype="bfloat16"),
    "hf-qwen2": dict(source=("from", "qwen2-bias"), dtype="float32", shards=3),
    "hf-qwen2-swa-bf16": dict(source=("arch", ArchConfig("qwen2", num_hidden_layers=3, sliding_window=4, use_sliding_window=True,
                                                         max_window_layers=1), 123), dtype="bfloat16"),
    "hf-qwen3": dict(source=("from", "qwen3-qknorm"), dtype="float32"),
    "hf-qwen3-bf16": dict(source=("from", "qwen3-qknorm"), dtype="bfloat16"),
    "hf-gpt2": dict(source=("from", "gpt2-random"), dtype="float32", tokenizer=True),
    "hf-gpt2-bare-bf16": dict(source=("from", "gpt2-random"), dtype="bfloat16", prefix=False),
}
HUB = dict(repo="sink-lens/tiny-llama", revisions={"main": 131, "early": 132},
           config=ArchConfig("llama", **SMALL_LLAMA, tie_word_embeddings=True))


def llama_hf_names(state):
    """models.Llama's names -> transformers' LlamaForCausalLM names (same [out, in] matrices)."""
    rename = {"norm1": "input_layernorm", "norm2": "post_attention_layernorm", "attn": "self_attn"}
    out = {}
    for name, tensor in state.items():
        parts = name.split(".")
        if parts[0] == "blocks":
            out[".".join(["model", "layers", parts[1]] + [rename.get(p, p) for p in parts[2:]])] = tensor
        elif parts[0] == "final_norm":
            out["model.norm." + parts[1]] = tensor
        elif parts[0] == "embed_tokens":
            out["model." + name] = tensor
        else:
            out[name] = tensor
    return out


def gpt2_hf_names(state):
    """models.Gpt2 (nn.Linear) -> GPT2LMHeadModel (Conv1D: weights transposed to [in, out]); tied head left out."""
    rename = {"norm1": "ln_1", "norm2": "ln_2", "final_norm": "ln_f", "blocks": "h"}
    out = {}
    for name, tensor in state.items():
        if name == "lm_head.weight":
            continue
        parts = [rename.get(p, p) for p in name.split(".")]
        linear = parts[-2] in ("c_attn", "c_proj", "c_fc") and parts[-1] == "weight"
        out["transformer." + ".".join(parts)] = tensor.t().contiguous() if linear else tensor
    return out


def source_model(source):
    """(HF config dict, {HF tensor name: float32 tensor}) of a fixture source."""
    kind, *rest = source
    if kind == "from":
        cfg, _, seed, _ = FIXTURES[rest[0]]
        torch.manual_seed(seed)
        model = random_init(build(cfg), seed).eval()
        state = model.state_dict()
        if cfg.model_type == "llama":
            return hf_config_dict(cfg), llama_hf_names(state)
        if cfg.model_type == "gpt2":
            return hf_config_dict(cfg), gpt2_hf_names(state)
        return hf_config_dict(cfg), dict(state)  # archs models already use transformers' names
    cfg, seed = rest
    torch.manual_seed(seed)
    model = arch_random_init(ArchDecoder(cfg), seed).eval()
    return arch_config_dict(cfg), dict(model.state_dict())


def checkpoint_tensors(config, state, dtype, prefix):
    tensors = {}
    for name, tensor in state.items():
        if name == "lm_head.weight" and config.get("tie_word_embeddings"):
            continue  # transformers does not save a tied head
        if not prefix:
            name = name.split(".", 1)[1] if name.startswith(("model.", "transformer.")) else name
        tensors[name] = tensor.to(DTYPES[dtype])
    return tensors


def write_checkpoint(folder, config, tensors, dtype, shards=1, tokenizer=False, bos_in="config", meta=None):
    os.makedirs(folder, exist_ok=True)
    config = dict(config, torch_dtype=dtype)
    if bos_in != "config":
        config.pop("bos_token_id", None)
        with open(os.path.join(folder, "generation_config.json"), "w") as f:
            json.dump({"bos_token_id": 0, "_from_model_config": True}, f, indent=2)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    names = list(tensors)
    if shards == 1:
        safetensors_file.write(os.path.join(folder, "model.safetensors"), tensors)
    else:
        weight_map, total = {}, 0
        for i in range(shards):
            part = names[i * len(names) // shards:(i + 1) * len(names) // shards]
            file = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            total += safetensors_file.write(os.path.join(folder, file), {n: tensors[n] for n in part})
            weight_map.update({n: file for n in part})
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    if tokenizer:
        byte_tokenizer.write(folder)
    with open(os.path.join(folder, "fixture.json"), "w") as f:
        json.dump(dict(meta or {}, made_by="tools/hf_ref/make_checkpoints.py", dtype=dtype, torch=torch.__version__), f, indent=2)


def make(name, out_root):
    spec = CHECKPOINTS[name]
    folder = os.path.join(out_root, name)
    shutil.rmtree(folder, ignore_errors=True)
    config, state = source_model(spec["source"])
    tensors = checkpoint_tensors(config, state, spec["dtype"], spec.get("prefix", True))
    source = spec["source"]
    meta = dict(name=name, source=source[1] if source[0] == "from" else f"archs {config['model_type']}, seed {source[2]}")
    write_checkpoint(folder, config, tensors, spec["dtype"], spec.get("shards", 1), spec.get("tokenizer", False),
                     spec.get("bos_in", "config"), meta)
    print(f"{name}: {config['model_type']}, {spec['dtype']}, {len(tensors)} tensors")


def make_hub(out_root):
    """hub/models--org--name/{blobs/<sha256>, snapshots/<commit>/<file> -> ../../blobs/<sha256>, refs/<rev>}."""
    hub = os.path.join(out_root, "hub")
    shutil.rmtree(hub, ignore_errors=True)
    repo = os.path.join(hub, "models--" + HUB["repo"].replace("/", "--"))
    for revision, seed in HUB["revisions"].items():
        staging = os.path.join(out_root, f".hub-staging-{revision}")
        shutil.rmtree(staging, ignore_errors=True)
        config, state = source_model(("arch", HUB["config"], seed))
        write_checkpoint(staging, config, checkpoint_tensors(config, state, "float32", True), "float32", tokenizer=True,
                         meta=dict(name=f"{HUB['repo']}@{revision}", source=f"archs llama, seed {seed}"))
        files = sorted(os.listdir(staging))
        digests = {}
        for file in files:
            with open(os.path.join(staging, file), "rb") as f:
                digests[file] = hashlib.sha256(f.read()).hexdigest()
        commit = hashlib.sha1("".join(digests[file] for file in files).encode()).hexdigest()
        os.makedirs(os.path.join(repo, "blobs"), exist_ok=True)
        os.makedirs(os.path.join(repo, "snapshots", commit), exist_ok=True)
        for file in files:
            shutil.move(os.path.join(staging, file), os.path.join(repo, "blobs", digests[file]))
            os.symlink(os.path.join("..", "..", "blobs", digests[file]), os.path.join(repo, "snapshots", commit, file))
        os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
        with open(os.path.join(repo, "refs", revision), "w") as f:
            f.write(commit)
        os.rmdir(staging)
        print(f"hub: {HUB['repo']}@{revision} -> {commit[:7]}")


def permute_for_rotate_half(weight, heads):
    """convert_llama_weights_to_hf.permute: rows (2i, 2i + 1) of each head -> rows (i, i + hd/2)."""
    out, inp = weight.shape
    return weight.view(heads, out // heads // 2, 2, inp).transpose(1, 2).reshape(out, inp)


def make_from_onnx_llama(path, folder, permute=True):
    """`permute` False writes the rows as they are: a wrong conversion, the tests' negative control."""
    import onnx_llama
    model, info = onnx_llama.load(path)
    cfg = model.cfg
    state = llama_hf_names(model.state_dict())
    if cfg.rope_interleaved and permute:
        for name in list(state):
            if name.endswith("q_proj.weight"):
                state[name] = permute_for_rotate_half(state[name], cfg.num_attention_heads)
            elif name.endswith("k_proj.weight"):
                state[name] = permute_for_rotate_half(state[name], cfg.num_key_value_heads)
    cfg.rope_interleaved = False  # what the converted rows need: transformers' rotate_half
    config = hf_config_dict(cfg)
    shutil.rmtree(folder, ignore_errors=True)
    write_checkpoint(folder, config, checkpoint_tensors(config, state, "float32", True), "float32",
                     meta=dict(name=os.path.basename(folder), source=f"{path} via onnx_llama.load",
                               permuted_qk=bool(info["rope_interleaved"]) and permute, rope_theta=info["rope_theta"]))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if os.path.exists(os.path.join(os.path.dirname(path), name)):
            shutil.copy(os.path.join(os.path.dirname(path), name), folder)
    print(f"{folder}: from {path}, q/k rows permuted: {bool(info['rope_interleaved']) and permute}")


def make_bench(folder):
    """Qwen2.5-0.5B's shape (24 layers, d 896, 14 heads, 2 KV heads, ffn 4864, vocab 151936, tied),
    random bf16 weights (~1 GB), each tensor made only when written."""
    config = dict(architectures=["Qwen2ForCausalLM"], model_type="qwen2", hidden_size=896, intermediate_size=4864,
                  num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2, vocab_size=151936,
                  max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
                  use_sliding_window=False, sliding_window=32768, max_window_layers=21, hidden_act="silu",
                  bos_token_id=151643, eos_token_id=151643, torch_dtype="bfloat16")
    d, f, kv = 896, 4864, 128
    shapes = {"model.embed_tokens.weight": [151936, d]}
    for l in range(24):
        at = f"model.layers.{l}"
        shapes.update({f"{at}.input_layernorm.weight": [d], f"{at}.post_attention_layernorm.weight": [d],
                       f"{at}.self_attn.q_proj.weight": [d, d], f"{at}.self_attn.q_proj.bias": [d],
                       f"{at}.self_attn.k_proj.weight": [kv, d], f"{at}.self_attn.k_proj.bias": [kv],
                       f"{at}.self_attn.v_proj.weight": [kv, d], f"{at}.self_attn.v_proj.bias": [kv],
                       f"{at}.self_attn.o_proj.weight": [d, d], f"{at}.mlp.gate_proj.weight": [f, d],
                       f"{at}.mlp.up_proj.weight": [f, d], f"{at}.mlp.down_proj.weight": [d, f]})
    shapes["model.norm.weight"] = [d]
    generator = torch.Generator().manual_seed(141)

    def maker(shape):
        scale = 1.0 / shape[-1] ** 0.5 if len(shape) == 2 else 0.1
        return lambda: (torch.randn(shape, generator=generator) * scale + (1.0 if len(shape) == 1 else 0.0)).to(torch.bfloat16)

    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as out:
        json.dump(config, out, indent=2)
    size = safetensors_file.write(os.path.join(folder, "model.safetensors"),
                                  {name: (shape, torch.bfloat16, maker(shape)) for name, shape in shapes.items()})
    write_bench_tokenizer(folder)
    print(f"bench checkpoint: {folder}, {size / 2 ** 30:.2f} GiB of bf16 weights, tokenizer.json "
          f"{os.path.getsize(os.path.join(folder, 'tokenizer.json')) / 2 ** 20:.1f} MiB")


def bytes_to_unicode():
    """GPT-2's byte-level alphabet: each byte a printable character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def write_bench_tokenizer(folder, bpe_tokens=151643, seed=142):
    """A byte-level BPE tokenizer.json the size of Qwen2.5's (151,643 BPE tokens, merges to match, and
    <|endoftext|>, <|im_start|>, <|im_end|> as specials): random merges, so the text it makes means
    nothing, but loading it costs what loading Qwen's does."""
    import random
    rng = random.Random(seed)
    vocab = {token: i for i, token in enumerate(bytes_to_unicode())}
    tokens, merges = list(vocab), []
    while len(vocab) < bpe_tokens:
        a, b = rng.choice(tokens), rng.choice(tokens)
        if len(a) + len(b) > 12 or a + b in vocab:
            continue
        vocab[a + b] = len(vocab)
        tokens.append(a + b)
        merges.append(f"{a} {b}")
    specials = [dict(id=bpe_tokens + i, content=text, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
                for i, text in enumerate(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])]
    level = dict(type="ByteLevel", add_prefix_space=False, trim_offsets=False, use_regex=True)
    tokenizer = dict(version="1.0", truncation=None, padding=None, added_tokens=specials, normalizer=None,
                     pre_tokenizer=level, post_processor=level, decoder=level,
                     model=dict(type="BPE", dropout=None, unk_token=None, continuing_subword_prefix="", end_of_word_suffix="",
                                fuse_unk=False, byte_fallback=False, ignore_merges=False, vocab=vocab, merges=merges))
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump(dict(add_bos_token=False, bos_token=None, eos_token="<|endoftext|>", model_max_length=32768,
                       tokenizer_class="Qwen2Tokenizer"), f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", help="folder that receives one sub-folder per checkpoint, and hub/")
    ap.add_argument("--only", action="append", choices=sorted(CHECKPOINTS) + ["hub"], help="make only this one (repeatable)")
    ap.add_argument("--bench", metavar="FOLDER", help="write the Qwen2.5-0.5B-shaped bf16 benchmark checkpoint there")
    ap.add_argument("--from-onnx-llama", metavar="ONNX", help="convert this LLaMA ONNX export into --out/--name")
    ap.add_argument("--name", help="with --from-onnx-llama: the checkpoint's folder name under --out")
    ap.add_argument("--unpermuted", action="store_true",
                    help="with --from-onnx-llama: keep q/k rows as stored (a wrong conversion, for negative tests)")
    args = ap.parse_args()
    t0 = time.time()
    if args.bench:
        make_bench(args.bench)
    if args.from_onnx_llama:
        if not (args.out and args.name):
            ap.error("--from-onnx-llama needs --out and --name")
        make_from_onnx_llama(args.from_onnx_llama, os.path.join(args.out, args.name), permute=not args.unpermuted)
    elif args.out:
        for name in args.only or list(CHECKPOINTS) + ["hub"]:
            make_hub(args.out) if name == "hub" else make(name, args.out)
    if not args.out and not args.bench:
        ap.error("give --out and/or --bench")
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
