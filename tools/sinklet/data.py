"""Training data: the bigram / back-copy (BB) task and Python-source bytes."""
import glob

import numpy as np

from vocab import BOS, BYTE0, N_TASK, TASK0

N_TRIGGERS = 3
TRIGGER_BOOST = 4.0
CORPUS_GLOB = "/usr/lib/python3.11/*.py"  # Debian bookworm libpython3.11-stdlib, 171 files, 4.7 MB


class BBTask:
    """64 task tokens. Next token ~ a fixed random bigram row, except right after one of the
    trigger tokens (the first N_TRIGGERS words, made TRIGGER_BOOST x more likely) where it copies
    the token just before the trigger. Only that copy needs attention."""

    def __init__(self, seed=1234, n=N_TASK, scale=1.0):
        rng = np.random.default_rng(seed)
        logits = rng.standard_normal((n, n)) * scale
        p = np.exp(logits - logits.max(1, keepdims=True))
        p[:, :N_TRIGGERS] *= TRIGGER_BOOST
        self.table = p / p.sum(1, keepdims=True)
        self.cum = np.cumsum(self.table, 1)
        self.n = n

    def sample(self, rng, batch, length):
        """batch x length task indices (0..n-1); the caller prepends BOS."""
        out = np.empty((batch, length), dtype=np.int64)
        out[:, 0] = rng.integers(N_TRIGGERS, self.n, size=batch)
        u = rng.random((batch, length))
        for t in range(1, length):
            prev = out[:, t - 1]
            nxt = (u[:, t, None] > self.cum[prev]).sum(1)
            nxt = np.minimum(nxt, self.n - 1)
            if t >= 2:
                trig = prev < N_TRIGGERS
                nxt = np.where(trig, out[:, t - 2], nxt)
            out[:, t] = nxt
        return out

    def ids(self, rng, batch, length, bos=True):
        x = self.sample(rng, batch, length) + TASK0
        if bos:
            x = np.concatenate([np.full((batch, 1), BOS, dtype=np.int64), x], 1)
        return x


def load_corpus(glob_pattern=CORPUS_GLOB):
    files = sorted(glob.glob(glob_pattern))
    if not files:
        raise SystemExit(f"no text corpus at {glob_pattern} (Debian's libpython3.11-stdlib)")
    data = b"".join(open(f, "rb").read() for f in files)
    return np.frombuffer(data, dtype=np.uint8)


def text_ids(rng, corpus, batch, length, bos=True):
    starts = rng.integers(0, len(corpus) - length, size=batch)
    x = np.stack([corpus[s:s + length] for s in starts]).astype(np.int64) + BYTE0
    if bos:
        x = np.concatenate([np.full((batch, 1), BOS, dtype=np.int64), x], 1)
    return x
