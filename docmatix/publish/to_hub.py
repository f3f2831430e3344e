"""Publish to a Hugging Face Hub dataset repo with huggingface_hub.

The token comes from huggingface_hub's own lookup (HF_TOKEN, the saved `hf auth login` token, ...);
this module never reads, prints or logs it. The endpoint is HF_ENDPOINT's (huggingface.co by default).
Content already in the repo is recognised from the repo's file listing (LFS sha256, or the git blob id
for small regular files) and left out of every commit.
"""

from __future__ import annotations

import os
import tempfile

import fsspec
from fsspec.implementations.local import LocalFileSystem
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import sha

from docmatix.publish.repo_layout import PlannedFile


class HubDestination:
    def __init__(self, repo_id: str, source_fs: fsspec.AbstractFileSystem, revision: str | None = None,
                 private: bool = False):
        self.repo_id, self.revision, self.private = repo_id, revision, private
        self.source_fs = source_fs
        self.api = HfApi()  # endpoint and token from the environment / saved login

    def describe(self) -> str:
        at = f" (revision {self.revision})" if self.revision else ""
        return f"{self.api.endpoint}/datasets/{self.repo_id}{at}"

    def remote_files(self) -> dict[str, RepoFile]:
        try:
            entries = self.api.list_repo_tree(self.repo_id, repo_type="dataset", revision=self.revision,
                                              recursive=True)
            return {e.path: e for e in entries if isinstance(e, RepoFile)}
        except (RepositoryNotFoundError, RevisionNotFoundError):
            return {}  # nothing there yet: everything is sent

    def same(self, planned: PlannedFile, remote: RepoFile) -> bool:
        if remote.size != planned.size:
            return False
        if remote.lfs is not None:
            return remote.lfs.sha256 == planned.sha256
        return remote.blob_id == sha.git_hash(planned.read(self.source_fs))

    def prepare(self) -> None:
        self.api.create_repo(self.repo_id, repo_type="dataset", private=self.private, exist_ok=True)
        if self.revision and self.revision != "main":
            self.api.create_branch(self.repo_id, repo_type="dataset", branch=self.revision, exist_ok=True)

    def send(self, files: list[PlannedFile], deletions: list[str], message: str) -> None:
        with tempfile.TemporaryDirectory(prefix="docmatix-publish-") as tmp:
            ops: list = [CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=self._local(f, tmp))
                         for f in files]
            ops += [CommitOperationDelete(path_in_repo=p) for p in deletions]
            self.api.create_commit(self.repo_id, operations=ops, commit_message=message, repo_type="dataset",
                                   revision=self.revision)

    def _local(self, f: PlannedFile, tmp: str) -> str | bytes:
        """huggingface_hub uploads from local paths (or bytes): a remote output's shard is fetched first."""
        if f.content is not None:
            return f.content
        if isinstance(self.source_fs, LocalFileSystem):
            return f.source
        local = os.path.join(tmp, f.path_in_repo.replace("/", "__"))
        self.source_fs.get(f.source, local)
        return local
