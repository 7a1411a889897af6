"""The Hugging Face hub cache's layout, as huggingface_hub writes it:
models--org--name/{blobs/<sha256>, snapshots/<commit>/<file> -> ../../blobs/<sha256>, refs/<revision>}.
The commit is made up (sha1 of the files' digests), so the same files give the same commit."""
import hashlib
import os
import shutil


def repo_folder(hub, repo_id):
    return os.path.join(hub, "models--" + repo_id.replace("/", "--"))


def write_hub_revision(repo, revision, staging):
    """Moves the files of `staging` into `repo`'s blobs, links them from a snapshot, points refs/<revision>
    at it, removes `staging`, and returns the commit."""
    files = sorted(os.listdir(staging))
    digests = {}
    for file in files:
        with open(os.path.join(staging, file), "rb") as f:
            digests[file] = hashlib.sha256(f.read()).hexdigest()
    commit = hashlib.sha1("".join(digests[file] for file in files).encode()).hexdigest()
    os.makedirs(os.path.join(repo, "blobs"), exist_ok=True)
    os.makedirs(os.path.join(repo, "snapshots", commit), exist_ok=True)
    for file in files:
        blob = os.path.join(repo, "blobs", digests[file])
        if os.path.exists(blob):  # the same file in another revision (a tokenizer): one blob
            os.remove(os.path.join(staging, file))
        else:
            shutil.move(os.path.join(staging, file), blob)
        os.symlink(os.path.join("..", "..", "blobs", digests[file]), os.path.join(repo, "snapshots", commit, file))
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    with open(os.path.join(repo, "refs", revision), "w") as f:
        f.write(commit)
    os.rmdir(staging)
    return commit
