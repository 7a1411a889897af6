"""Vocabulary and tokenizer files for Sinklet.

ids: 0 <unk>, 1 <s> (BOS), 2 </s>, 3..258 the 256 bytes <0x00>..<0xFF>, 259.. the task words.
The task words are Hugging Face *added tokens* (lstrip + single_word) so that a prompt typed as
"bex tav lom" tokenizes to exactly three task ids (the space before a word belongs to the word);
everything else falls back to UTF-8 bytes through a BPE model with no merges and byte_fallback.
"""
import json
import re

UNK, BOS, EOS = 0, 1, 2
BYTE0 = 3
N_TASK = 64
TASK0 = BYTE0 + 256

# 64 short, pronounceable, non-English, non-Python words, fixed list (do not reorder: ids depend on it)
TASK_WORDS = (
    "bex tav lom kir dup zel wob fip nax gud hov jek qim rux sib yot "
    "vep mab cug dax fen gop hux jiv kev lud mox nib pex ruv sut tib "
    "vod wux yab zog bif cav dov fux giv hab jop kux lib muv nov pib "
    "quz rab sov tux vib wab yuv zib bup coz daz fim gex hib jux kaz"
).split()
assert len(TASK_WORDS) == N_TASK and len(set(TASK_WORDS)) == N_TASK
VOCAB_SIZE = TASK0 + N_TASK  # 323

WORD_ID = {w: TASK0 + i for i, w in enumerate(TASK_WORDS)}
_WORD_RE = re.compile(r"(?:\s+|(?<![0-9A-Za-z_]))(" + "|".join(TASK_WORDS) + r")(?![0-9A-Za-z_])")


def encode(text, bos=True):
    """Python mirror of tokenizer.json (task words with lstrip, bytes elsewhere)."""
    ids = [BOS] if bos else []
    pos = 0
    for m in _WORD_RE.finditer(text):
        ids += [BYTE0 + b for b in text[pos:m.start()].encode("utf-8")]
        ids.append(WORD_ID[m.group(1)])
        pos = m.end()
    ids += [BYTE0 + b for b in text[pos:].encode("utf-8")]
    return ids


def words(ids):
    return " ".join(TASK_WORDS[i - TASK0] for i in ids)


def tokenizer_json():
    vocab = {"<unk>": UNK, "<s>": BOS, "</s>": EOS}
    for b in range(256):
        vocab["<0x%02X>" % b] = BYTE0 + b
    for w, i in WORD_ID.items():
        vocab[w] = i
    added = [
        {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for c, i in (("<unk>", UNK), ("<s>", BOS), ("</s>", EOS))
    ] + [
        {"id": i, "content": w, "single_word": True, "lstrip": True, "rstrip": False,
         "normalized": False, "special": False}
        for w, i in WORD_ID.items()
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
            "ignore_merges": False, "vocab": vocab, "merges": [],
        },
    }


def tokenizer_config():
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "model_max_length": 512,
        "clean_up_tokenization_spaces": False,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


def write_tokenizer(folder):
    with open(f"{folder}/tokenizer.json", "w") as f:
        json.dump(tokenizer_json(), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(f"{folder}/tokenizer_config.json", "w") as f:
        json.dump(tokenizer_config(), f, indent=2)
        f.write("\n")
