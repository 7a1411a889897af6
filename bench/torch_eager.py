"""PyTorch eager forward that keeps every layer's attention map (like output_attentions=True), on
the same weights as an ONNX bench fixture: the memory and time that Sink Lens's in-graph probes
avoid. Prints one JSON line: {"tokens", "median_ms", "peak_rss_mb"}. Run one T per process so the
peak RSS is that run's own.

    /usr/bin/python3 bench/torch_eager.py .cache/fixtures/llama-bench-4 2048
"""
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "torch_ref"))
import torch  # noqa: E402

from reference import load_model  # noqa: E402


def main():
    path, tokens = sys.argv[1], int(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    torch.set_num_threads(os.cpu_count() or 1)
    model = load_model(path)
    ids = torch.tensor([[(i * 7919) % 1000 for i in range(tokens)]], dtype=torch.long)
    times = []
    with torch.no_grad():
        for _ in range(runs + 1):
            started = time.perf_counter()
            rec = model(ids, record=True)  # keeps hidden states and all [H, T, T] maps, as output_attentions does
            times.append((time.perf_counter() - started) * 1000)
            del rec
    times = sorted(times[1:])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tokens": tokens, "median_ms": times[len(times) // 2], "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
