#!/usr/bin/python3
"""Training-run fixtures for checkpoint traces: the bundled demo model's 8 training checkpoints
(models/sinklet/checkpoints, a 3-layer LLaMA whose BOS attention sink emerges between steps 1000
and 1500) converted to Hugging Face LLaMA checkpoints (safetensors, transformers' names) and laid
out the two ways a researcher meets a training run:

    OUT/trace-hub/       a hub cache (HF_HUB_CACHE) holding `sink-lens/sinklet` with one revision per
                         checkpoint, named as Pythia names its revisions (`step0`, `step250`, ...,
                         `step8000`), and `main` pointing at the last one's commit, as Pythia's does
    OUT/trace-trainer/   a transformers Trainer output_dir: `checkpoint-250/` ... `checkpoint-8000/`
                         (config.json, generation_config.json, model.safetensors, trainer_state.json
                         with global_step, optimizer.pt, scheduler.pt), and the final model with the
                         tokenizer at the top, as `trainer.save_model()` leaves it (the checkpoints
                         have no tokenizer of their own). Trainer never saves step 0.

    /usr/bin/python3 tools/hf_ref/make_trace_fixtures.py --out .cache/hf-fixtures       # ~30 s

The weights are exactly those of the ONNX checkpoints (tools/torch_ref/onnx_llama.py reads them;
sinklet already rotates halves, so no q/k permutation is needed), so a trace of these revisions
must give the numbers of `sink-lens trace` on models/sinklet/checkpoints.
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "torch_ref"))
import torch  # noqa: E402

from hub_layout import publish_snapshot  # noqa: E402
from make_checkpoints import checkpoint_tensors, onnx_llama_as_hf, write_checkpoint  # noqa: E402

SINKLET = os.path.join(HERE, "..", "..", "models", "sinklet")
REPO = "sink-lens/sinklet"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


def sinklet_checkpoints():
    """[(step, model.onnx path)] from the demo's trace.json, in step order."""
    folder = os.path.join(SINKLET, "checkpoints")
    with open(os.path.join(folder, "trace.json")) as f:
        manifest = json.load(f)
    return sorted((entry["step"], os.path.join(folder, entry["path"])) for entry in manifest["checkpoints"])


def write_hf(folder, onnx_path):
    """One checkpoint as save_pretrained writes it: config.json, generation_config.json, model.safetensors."""
    config, state, _ = onnx_llama_as_hf(onnx_path)
    config = dict(config, eos_token_id=2)
    write_checkpoint(folder, config, checkpoint_tensors(config, state, "float32", True), "float32")
    os.remove(os.path.join(folder, "fixture.json"))  # the fixture's own record goes at the top (mark_made)
    with open(os.path.join(folder, "generation_config.json"), "w") as f:
        json.dump({"_from_model_config": True, "bos_token_id": 1, "eos_token_id": 2}, f, indent=2)


def copy_tokenizer(folder):
    for name in TOKENIZER_FILES:
        shutil.copy(os.path.join(SINKLET, name), folder)


def make_hub(out_root):
    hub = os.path.join(out_root, "trace-hub")
    shutil.rmtree(hub, ignore_errors=True)
    repo = os.path.join(hub, "models--" + REPO.replace("/", "--"))
    checkpoints = sinklet_checkpoints()
    for index, (step, onnx_path) in enumerate(checkpoints):
        staging = os.path.join(out_root, f".trace-hub-staging-{step}")
        shutil.rmtree(staging, ignore_errors=True)
        write_hf(staging, onnx_path)
        copy_tokenizer(staging)
        refs = [f"step{step}"] + (["main"] if index == len(checkpoints) - 1 else [])
        commit = publish_snapshot(repo, staging, refs)
        print(f"trace-hub: {REPO}@{' and '.join(refs)} -> {commit[:7]}")
    mark_made(hub, [step for step, _ in checkpoints])


def mark_made(folder, steps):
    """fixture.json at the top: what was made from what (the tests make a fixture when it is missing)."""
    with open(os.path.join(folder, "fixture.json"), "w") as f:
        json.dump(dict(made_by="tools/hf_ref/make_trace_fixtures.py", source="models/sinklet/checkpoints", steps=steps,
                       repo=REPO, torch=torch.__version__), f, indent=2)


def trainer_state(step, max_steps):
    """trainer_state.json as transformers' Trainer writes it (log_history left empty: the sinklet
    run's losses are not part of the checkpoints)."""
    return dict(best_metric=None, best_model_checkpoint=None, epoch=step / max_steps, eval_steps=500, global_step=step,
                is_hyper_param_search=False, is_local_process_zero=True, is_world_process_zero=True, log_history=[],
                logging_steps=500, max_steps=max_steps, num_input_tokens_seen=0, num_train_epochs=1, save_steps=250,
                stateful_callbacks={}, total_flos=0.0, train_batch_size=32, trial_name=None, trial_params=None)


def make_trainer(out_root):
    run = os.path.join(out_root, "trace-trainer")
    shutil.rmtree(run, ignore_errors=True)
    checkpoints = [(step, path) for step, path in sinklet_checkpoints() if step > 0]
    max_steps = checkpoints[-1][0]
    for step, onnx_path in checkpoints:
        folder = os.path.join(run, f"checkpoint-{step}")
        write_hf(folder, onnx_path)
        with open(os.path.join(folder, "trainer_state.json"), "w") as f:
            json.dump(trainer_state(step, max_steps), f, indent=2)
        torch.save({"state": {}, "param_groups": []}, os.path.join(folder, "optimizer.pt"))
        torch.save({"last_epoch": step}, os.path.join(folder, "scheduler.pt"))
        print(f"trace-trainer: checkpoint-{step}")
    write_hf(run, checkpoints[-1][1])  # trainer.save_model(): the final model, with the tokenizer
    copy_tokenizer(run)
    mark_made(run, [step for step, _ in checkpoints])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", required=True, help="folder that receives trace-hub/ and trace-trainer/")
    ap.add_argument("--only", choices=["hub", "trainer"], help="make only one of them")
    args = ap.parse_args()
    t0 = time.time()
    if args.only in (None, "hub"):
        make_hub(args.out)
    if args.only in (None, "trainer"):
        make_trainer(args.out)
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
