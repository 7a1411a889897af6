"""PyTorch eager forward that keeps every layer's attention map (like output_attentions=True), on
the same weights as an ONNX bench fixture: the memory and time that Sink Lens's in-graph probes
avoid. Prints one JSON line: {"tokens", "median_ms", "median_cpu_ms", "peak_rss_mb", "blas",
"blas_build", "threads"}. Run one T per process so the peak RSS is that run's own.

"blas" is the BLAS library the process actually loaded (read from /proc/self/maps after a matmul):
Debian's torch is built against the generic libblas.so.3, which is the slow reference BLAS unless
an optimised one (libopenblas0-pthread) is installed as its alternative.

    /usr/bin/python3 bench/torch_eager.py .cache/fixtures/llama-bench-4 2048 [runs]
"""
import json
import os
import re
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "torch_ref"))
import torch  # noqa: E402

from reference import load_model  # noqa: E402


def loaded_blas():
    """The BLAS / LAPACK shared libraries mapped into this process."""
    names = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if re.search(r"blas|lapack|mkl", os.path.basename(path), re.I):
                names.add(os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path)))
    return sorted(names)


def build_blas():
    match = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return match.group(1) if match else "unknown"


def main():
    path, tokens = sys.argv[1], int(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    torch.set_num_threads(os.cpu_count() or 1)
    model = load_model(path)
    ids = torch.tensor([[(i * 7919) % 1000 for i in range(tokens)]], dtype=torch.long)
    times, cpu_times = [], []
    with torch.no_grad():
        for _ in range(runs + 1):
            started, cpu_started = time.perf_counter(), time.process_time()
            rec = model(ids, record=True)  # keeps hidden states and all [H, T, T] maps, as output_attentions does
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
            del rec
    median = lambda values: sorted(values[1:])[len(values[1:]) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tokens": tokens, "median_ms": median(times), "median_cpu_ms": median(cpu_times), "peak_rss_mb": peak,
                      "blas": loaded_blas(), "blas_build": build_blas(), "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
