"""A byte-level tokenizer.json (Hugging Face `tokenizers` format) for the "-trained" fixtures.

id b = byte b for b in 1..255, id 0 = "<bos>" (special; the post-processor prepends it, as
stories260k's tokenizer does with <s>). It is a BPE model with no merges and byte_fallback:
printable ASCII characters are vocabulary entries named by themselves (readable tokens), every
other byte becomes "<0xNN>" (a multi-byte character yields one token per byte, all with the same
character offsets). The NUL byte has no id (id 0 is BOS) and is dropped, as in training.
"""
import json


def byte_token(b):
    return chr(b) if 0x20 <= b <= 0x7E else f"<0x{b:02X}>"


def tokenizer_json(bos="<bos>"):
    vocab = {bos: 0}
    vocab.update({byte_token(b): b for b in range(1, 256)})
    special = {"id": 0, "content": bos, "single_word": False, "lstrip": False, "rstrip": False,
               "normalized": False, "special": True}
    seq = lambda name, type_id: {"Sequence": {"id": name, "type_id": type_id}}
    bos_tok = lambda type_id: {"SpecialToken": {"id": bos, "type_id": type_id}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special],
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [bos_tok(0), seq("A", 0)],
            "pair": [bos_tok(0), seq("A", 0), bos_tok(1), seq("B", 1)],
            "special_tokens": {bos: {"id": bos, "ids": [0], "tokens": [bos]}},
        },
        "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": []},
    }


def tokenizer_config(bos="<bos>"):
    return {"bos_token": bos, "add_bos_token": True, "add_eos_token": False, "eos_token": None,
            "unk_token": None, "model_max_length": 1024, "clean_up_tokenization_spaces": False,
            "tokenizer_class": "PreTrainedTokenizerFast"}


def write(folder):
    with open(f"{folder}/tokenizer.json", "w") as f:
        json.dump(tokenizer_json(), f, indent=1, ensure_ascii=False)
    with open(f"{folder}/tokenizer_config.json", "w") as f:
        json.dump(tokenizer_config(), f, indent=1)
