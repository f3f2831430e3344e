"""A small Hugging Face Hub on 127.0.0.1 for tests: the HTTP endpoints huggingface_hub calls to create a
repo and a branch, list a repo's tree, preupload, upload LFS objects (basic transfer + verify), commit,
and download files. It keeps repos in memory and records every upload and commit, so tests assert on
what a client really sent.

Xet is not spoken here: clients must take the plain LFS path (`HF_HUB_DISABLE_XET=1`, which recent
huggingface_hub versions otherwise prefer whenever the `hf_xet` package is installed).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

LFS_SUFFIXES = (".parquet", ".arrow", ".bin", ".png", ".jpg", ".tar", ".zip", ".safetensors")
REPO = r"(?P<type>datasets|models|spaces)/(?P<repo>[^/]+/[^/]+)"


def git_blob_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(oid: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()


@dataclass
class StoredFile:
    size: int
    content: bytes | None = None  # regular (git) file
    lfs_oid: str | None = None  # LFS file: the content lives in the LFS store

    def entry(self, path: str) -> dict:
        if self.lfs_oid is None:
            return {"type": "file", "path": path, "size": self.size, "oid": git_blob_oid(self.content)}
        pointer = lfs_pointer(self.lfs_oid, self.size)
        return {"type": "file", "path": path, "size": self.size, "oid": git_blob_oid(pointer),
                "lfs": {"oid": self.lfs_oid, "size": self.size, "pointerSize": len(pointer)}}

    def preupload_oid(self) -> str:
        """What huggingface_hub compares with its local oid: sha256 for LFS, git sha1 otherwise."""
        return self.lfs_oid if self.lfs_oid is not None else git_blob_oid(self.content)


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    branches: dict[str, dict[str, StoredFile]] = field(default_factory=lambda: {"main": {}})
    heads: dict[str, str] = field(default_factory=lambda: {"main": uuid.uuid4().hex + "00000000"})
    snapshots: dict[str, dict[str, StoredFile]] = field(default_factory=dict)  # commit oid -> files


@dataclass
class Commit:
    repo_id: str
    revision: str
    summary: str
    added: dict[str, str]  # path -> sha256 of the content
    deleted: list[str]


class FakeHub:
    def __init__(self, token: str | None = None):
        self.token = token  # when set, writes need "Authorization: Bearer <token>"
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.uploads: list[str] = []  # LFS oids received, in order
        self.commits: list[Commit] = []
        self.requests: list[tuple[str, str]] = []
        self.authorizations: list[str] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> str:
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.endpoint

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def client_env(self, hf_home: str) -> dict[str, str]:
        """Environment for a huggingface_hub client process talking to this server. Xet is switched off
        (HF_HUB_DISABLE_XET): this server speaks the plain LFS protocol only."""
        env = {"HF_ENDPOINT": self.endpoint, "HF_HUB_DISABLE_XET": "1", "HF_HOME": hf_home,
               "HF_HUB_DISABLE_TELEMETRY": "1"}
        return env | ({"HF_TOKEN": self.token} if self.token else {})

    # -- what tests read -----------------------------------------------------------------------
    def files(self, repo_id: str, revision: str = "main", repo_type: str = "dataset") -> dict[str, bytes]:
        repo = self.repos[(repo_type, repo_id)]
        return {path: f.content if f.lfs_oid is None else self.lfs[f.lfs_oid]
                for path, f in repo.branches[revision].items()}

    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        return self.repos[(repo_type, repo_id)]


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.0"  # one request per connection: an error reply never leaves a body unread

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    # -- plumbing ------------------------------------------------------------------------------
    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, payload=None, headers: dict | None = None, raw: bytes | None = None) -> None:
        body = raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if raw is None else "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        with self.hub.lock:
            self.hub.authorizations.append(auth)
        return self.hub.token is None or auth == f"Bearer {self.hub.token}"

    def _route(self, routes: list[tuple[str, str]]) -> None:
        url = urlsplit(self.path)
        with self.hub.lock:
            self.hub.requests.append((self.command, url.path))
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        for pattern, name in routes:
            m = re.fullmatch(pattern, url.path)
            if m:
                try:
                    return getattr(self, name)(**{k: unquote(v) for k, v in m.groupdict().items() if v is not None})
                except _HttpError as e:
                    headers = {"X-Error-Message": e.message} | ({"X-Error-Code": e.code} if e.code else {})
                    return self._send(e.status, {"error": e.message}, headers=headers)
        self._send(404, {"error": f"no route for {self.command} {url.path}"})

    def do_GET(self) -> None:
        self._route([
            (rf"/api/{REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?", "tree"),
            (rf"/api/{REPO}(?:/revision/(?P<rev>[^/]+))?", "repo_info"),
            (r"/(?P<prefix>datasets/|spaces/|)(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        ])

    do_HEAD = do_GET

    def do_POST(self) -> None:
        self._route([
            (r"/api/repos/create", "create_repo"),
            (r"/api/validate-yaml", "validate_yaml"),
            (rf"/api/{REPO}/branch/(?P<branch>[^/]+)", "create_branch"),
            (rf"/api/{REPO}/preupload/(?P<rev>[^/]+)", "preupload"),
            (rf"/api/{REPO}/commit/(?P<rev>[^/]+)", "commit"),
            (r"/(?P<prefix>datasets/|spaces/|)(?P<repo>[^/]+/[^/]+)\.git/info/lfs/objects/batch", "lfs_batch"),
            (r"/_lfs/verify", "lfs_verify"),
        ])

    def do_PUT(self) -> None:
        self._route([(r"/_lfs/upload/(?P<oid>[0-9a-f]{64})", "lfs_upload")])

    # -- helpers -------------------------------------------------------------------------------
    def _repo(self, type: str, repo: str) -> Repo:
        found = self.hub.repos.get((type.rstrip("s"), repo))
        if found is None:
            raise _HttpError(404, f"Repository Not Found for {type}/{repo}", "RepoNotFound")
        return found

    def _branch(self, repo: Repo, rev: str) -> dict[str, StoredFile]:
        """A branch's files, or a commit's (a revision pinned by its oid)."""
        files = repo.branches.get(rev, repo.snapshots.get(rev))
        if files is None:
            raise _HttpError(404, f"Revision Not Found: {rev}", "RevisionNotFound")
        return files

    def _write_access(self) -> None:
        if not self._authorized():
            raise _HttpError(401, "Invalid credentials")

    # -- endpoints -----------------------------------------------------------------------------
    def create_repo(self) -> None:
        self._write_access()
        data = json.loads(self._body())
        repo_type = data.get("type") or "model"
        repo_id = f"{data['organization'] or 'user'}/{data['name']}"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.hub.endpoint}/{prefix}{repo_id}"
        with self.hub.lock:
            if (repo_type, repo_id) in self.hub.repos:
                return self._send(409, {"error": "You already created this repo", "url": url})
            private = data.get("visibility") == "private" or bool(data.get("private"))
            self.hub.repos[(repo_type, repo_id)] = Repo(repo_type, repo_id, private)
        self._send(200, {"url": url, "name": repo_id})

    def validate_yaml(self) -> None:
        content = json.loads(self._body())["content"]
        m = re.match(r"---\n(.*?)\n---\n", content, re.S)
        try:
            meta = yaml.safe_load(m.group(1)) if m else None
        except yaml.YAMLError as e:
            return self._send(400, {"errors": [{"message": str(e)}]})
        if not isinstance(meta, dict):
            return self._send(400, {"errors": [{"message": "README.md has no YAML metadata block"}]})
        self._send(200, {"warnings": []})

    def create_branch(self, type: str, repo: str, branch: str) -> None:
        self._write_access()
        r = self._repo(type, repo)
        with self.hub.lock:
            if branch in r.branches:
                return self._send(409, {"error": "Reference already exists"})
            r.branches[branch] = dict(r.branches["main"])
            r.heads[branch] = r.heads["main"]
        self._send(200, {})

    def tree(self, type: str, repo: str, rev: str, path: str = "") -> None:
        files = self._branch(self._repo(type, repo), rev)
        recursive = self.query.get("recursive", "false").lower() in ("true", "1")
        prefix = path.rstrip("/") + "/" if path else ""
        out, folders = [], set()
        for p, f in sorted(files.items()):
            if not p.startswith(prefix):
                continue
            rest = p[len(prefix):]
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                if recursive or depth == 1:
                    folders.add(prefix + "/".join(parts[:depth]))
            if recursive or len(parts) == 1:
                out.append(f.entry(p))
        out += [{"type": "directory", "path": d, "oid": git_blob_oid(d.encode()), "size": 0} for d in sorted(folders)]
        self._send(200, out)

    def repo_info(self, type: str, repo: str, rev: str = "main") -> None:
        r = self._repo(type, repo)
        files = self._branch(r, rev)
        self._send(200, {"id": r.repo_id, "sha": r.heads.get(rev, rev), "private": r.private, "disabled": False,
                         "gated": False, "downloads": 0, "likes": 0, "tags": [],
                         "lastModified": "2026-01-01T00:00:00.000Z",
                         "siblings": [{"rfilename": p} for p in sorted(files)]})

    def resolve(self, prefix: str, repo: str, rev: str, path: str) -> None:
        type = (prefix.rstrip("/") or "model") + "s"
        r = self._repo(type, repo)
        stored = self._branch(r, rev).get(path)
        if stored is None:
            raise _HttpError(404, f"Entry Not Found: {path}", "EntryNotFound")
        content = stored.content if stored.lfs_oid is None else self.hub.lfs[stored.lfs_oid]
        etag = stored.lfs_oid or git_blob_oid(stored.content)
        headers = {"ETag": f'"{etag}"', "X-Repo-Commit": r.heads.get(rev, rev)}
        if stored.lfs_oid is not None:
            headers |= {"X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(stored.size)}
        self._send(200, headers=headers, raw=content)

    def preupload(self, type: str, repo: str, rev: str) -> None:
        self._write_access()
        r = self._repo(type, repo)
        files = r.branches.get(rev, {})
        out = []
        for f in json.loads(self._body())["files"]:
            sample = base64.b64decode(f["sample"])
            lfs = f["path"].endswith(LFS_SUFFIXES) or b"\0" in sample or f["size"] > 10 * 1024 * 1024
            stored = files.get(f["path"])
            out.append({"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                        "oid": stored.preupload_oid() if stored else None})
        self._send(200, {"files": out, "commitOid": r.heads.get(rev)})

    def lfs_batch(self, prefix: str, repo: str) -> None:
        self._write_access()
        self._repo((prefix.rstrip("/") or "model") + "s", repo)
        data = json.loads(self._body())
        objects = []
        for obj in data["objects"]:
            entry = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.hub.lfs:  # already stored: no action, the client skips it
                entry["actions"] = {
                    "upload": {"href": f"{self.hub.endpoint}/_lfs/upload/{obj['oid']}"},
                    "verify": {"href": f"{self.hub.endpoint}/_lfs/verify"},
                }
            objects.append(entry)
        self._send(200, {"transfer": "basic", "objects": objects})

    def lfs_upload(self, oid: str) -> None:
        body = self._body()
        if hashlib.sha256(body).hexdigest() != oid:
            raise _HttpError(400, "content does not match its oid")
        with self.hub.lock:
            self.hub.lfs[oid] = body
            self.hub.uploads.append(oid)
        self._send(200, {})

    def lfs_verify(self) -> None:
        self._write_access()
        data = json.loads(self._body())
        stored = self.hub.lfs.get(data["oid"])
        if stored is None or len(stored) != data["size"]:
            raise _HttpError(404, "object not found")
        self._send(200, {})

    def commit(self, type: str, repo: str, rev: str) -> None:
        self._write_access()
        r = self._repo(type, repo)
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        header = next(item["value"] for item in lines if item["key"] == "header")
        with self.hub.lock:
            files = dict(self._branch(r, rev))
            added, deleted = {}, []
            for item in lines:
                key, v = item["key"], item["value"]
                if key == "file":
                    content = base64.b64decode(v["content"])
                    files[v["path"]] = StoredFile(size=len(content), content=content)
                    added[v["path"]] = hashlib.sha256(content).hexdigest()
                elif key == "lfsFile":
                    if v["oid"] not in self.hub.lfs:
                        raise _HttpError(422, f"LFS object {v['oid']} was never uploaded")
                    files[v["path"]] = StoredFile(size=len(self.hub.lfs[v["oid"]]), lfs_oid=v["oid"])
                    added[v["path"]] = v["oid"]
                elif key == "deletedFile":
                    if files.pop(v["path"], None) is None:
                        raise _HttpError(404, "A file with this name doesn't exist")
                    deleted.append(v["path"])
                elif key == "deletedFolder":
                    folder = v["path"].rstrip("/") + "/"
                    for p in [p for p in files if p.startswith(folder)]:
                        files.pop(p)
                        deleted.append(p)
            r.branches[rev] = files
            oid = uuid.uuid4().hex + "00000000"
            r.heads[rev] = oid
            r.snapshots[oid] = files
            self.hub.commits.append(Commit(r.repo_id, rev, header["summary"], added, deleted))
        self._send(200, {"commitUrl": f"{self.hub.endpoint}/{type}/{repo}/commit/{oid}", "commitOid": oid,
                         "pullRequestUrl": None})


class _HttpError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code
