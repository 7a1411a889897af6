"""The Hugging Face hub cache's layout, as huggingface_hub writes it:
models--org--name/{blobs/<sha256>, snapshots/<commit>/<file> -> ../../blobs/<sha256>, refs/<revision>}.
The commit is made up (sha1 of the files' digests), so the same files give the same commit."""
import hashlib
import os
import shutil


def repo_folder(hub, repo_id):
    return os.path.join(hub, "models--" + repo_id.replace("/", "--"))


def publish_snapshot(repo, staging, refs):
    """Moves the files of `staging` into repo/blobs/<sha256> (a blob already there is the same bytes:
    a tokenizer shared by revisions stays one blob), links them from snapshots/<commit>/, writes
    refs/<ref> = commit for each of `refs`, removes `staging`, and returns the commit."""
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
        link = os.path.join(repo, "snapshots", commit, file)
        if not os.path.lexists(link):
            os.symlink(os.path.join("..", "..", "blobs", digests[file]), link)
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    for ref in refs:
        with open(os.path.join(repo, "refs", ref), "w") as f:
            f.write(commit)
    os.rmdir(staging)
    return commit
