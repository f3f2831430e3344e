"""Publish to any fsspec destination (a local folder, s3://bucket/prefix, ...), in the Hub's layout.

Object stores give no content hash we can compare with ours, so the destination keeps a small record,
`.docmatix-publish.json` (path -> sha256, size), written after every file: a file is sent again only
when the record does not vouch for it (other sha256, missing, or its size changed since).
"""

from __future__ import annotations

import json
import posixpath
import shutil
import uuid

import fsspec

from docmatix.publish.repo_layout import PlannedFile

STATE_FILE = ".docmatix-publish.json"


class FsspecDestination:
    def __init__(self, url: str, source_fs: fsspec.AbstractFileSystem, storage_options: dict | None = None):
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url, **(storage_options or {}))
        self.source_fs = source_fs
        self._state: dict[str, dict] | None = None

    def describe(self) -> str:
        return self.url

    def _path(self, relative: str) -> str:
        return posixpath.join(self.root, relative)

    def _load_state(self) -> dict[str, dict]:
        if self._state is None:
            path = self._path(STATE_FILE)
            self._state = json.loads(self.fs.cat_file(path)) if self.fs.exists(path) else {}
        return self._state

    def _save_state(self) -> None:
        self.fs.pipe_file(self._path(STATE_FILE), json.dumps(self._state, indent=1, sort_keys=True).encode())

    def remote_files(self) -> dict[str, dict | None]:
        """Files under the root with their recorded {sha256, size} (None when not recorded or resized)."""
        self.fs.invalidate_cache()
        if not self.fs.exists(self.root):
            return {}
        state = self._load_state()
        found = {}
        prefix = self.root.rstrip("/") + "/"
        for path, info in self.fs.find(self.root, detail=True).items():
            relative = path[len(prefix):] if path.startswith(prefix) else path
            if relative == STATE_FILE:
                continue
            record = state.get(relative)
            found[relative] = record if record and record["size"] == info["size"] else None
        return found

    def same(self, planned: PlannedFile, remote: dict | None) -> bool:
        return remote is not None and remote["sha256"] == planned.sha256 and remote["size"] == planned.size

    def prepare(self) -> None:
        self.fs.makedirs(self._path("data"), exist_ok=True)
        self._load_state()

    def send(self, files: list[PlannedFile], deletions: list[str], message: str) -> None:
        state = self._load_state()
        for f in files:
            self._copy(f)
            state[f.path_in_repo] = {"sha256": f.sha256, "size": f.size}
            self._save_state()  # after every file: an interrupted publish resumes after the last one
        for p in deletions:
            self.fs.rm(self._path(p))
            state.pop(p, None)
        self._save_state()

    def _copy(self, f: PlannedFile) -> None:
        """Write under a temporary name, then rename: a reader never sees half a shard."""
        dest = self._path(f.path_in_repo)
        tmp = f"{dest}.tmp-{uuid.uuid4().hex[:8]}"
        self.fs.makedirs(posixpath.dirname(dest), exist_ok=True)
        if f.content is not None:
            self.fs.pipe_file(tmp, f.content)
        else:
            with self.source_fs.open(f.source, "rb") as src, self.fs.open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        self.fs.mv(tmp, dest)

