"""`docmatix publish`: a real run's output to a local Hub server (huggingface_hub's own HTTP calls) and
to fsspec destinations (a local folder, S3 on a moto server), with the card checked against the run's
summary and a second publish sending nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from datasets import load_dataset
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCardData

from docmatix.pipeline.generate.llm_embedded import free_port
from docmatix.publish.dataset_card import RUN_STAT_FIELDS
from docmatix.schemas.output import CAULDRON_FEATURES
from tests.fake_hub_server import FakeHub

pytestmark = pytest.mark.slow  # one real pipeline run (embedded LLM) for the module

TOKEN = "hf_fake_token_never_printed_0123456789"


@pytest.fixture(scope="module")
def run_output(e2e_shard, tmp_path_factory) -> Path:
    """A real `docmatix run` output, one row per shard so that publishing takes several commits. Its own
    run, not the session's shared one (tests/conftest.py), which may write a single row."""
    out = tmp_path_factory.mktemp("run")
    cmd = [sys.executable, "-m", "docmatix.cli", "run", str(e2e_shard), "--output", str(out),
           "--max-tokens", "128", "--filter-preset", "docmatix", "--rows-per-shard", "1", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(out.glob("*.parquet")), "the run wrote no shard to publish"
    return out


@pytest.fixture(scope="module")
def hub():
    server = FakeHub(token=TOKEN)
    server.start()
    yield server
    server.stop()


def publish(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "docmatix.cli", "publish", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def hub_env(hub: FakeHub, tmp_path: Path) -> dict:
    return hub.client_env(str(tmp_path / "hf_home"))  # HF_ENDPOINT, HF_TOKEN, HF_HUB_DISABLE_XET=1


def local_shards(run_output: Path) -> list[Path]:
    return sorted(run_output.glob("*.parquet"))


def parse_card(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def check_card(card: dict, run_output: Path) -> None:
    summary = json.loads((run_output / "summary.json").read_text())
    data = DatasetCardData(**card)
    infos = DatasetInfosDict.from_dataset_card_data(data)
    assert infos["default"].features == CAULDRON_FEATURES
    assert infos["default"].splits["train"].num_examples == summary["documents_written"]
    configs = MetadataConfigs.from_dataset_card_data(data)
    assert configs["default"]["data_files"] == [{"split": "train", "path": "data/train-*"}]
    assert card["license"] == "mit"
    stats = card["docmatix_run"]
    for key in RUN_STAT_FIELDS:
        if key in summary:
            assert stats[key] == summary[key], key
    assert stats["pairs_kept"] == summary["pairs_kept"] and stats["model"] == summary["model"]
    assert "endpoints" not in stats and "config" not in stats


@pytest.fixture(scope="module")
def first_publish(run_output, hub, tmp_path_factory):
    env = hub_env(hub, tmp_path_factory.mktemp("env"))
    proc = publish(str(run_output), "someone/docmatix-demo", "--files-per-commit", "2", env=env)
    return proc, env


def test_publish_to_hub_commits_renamed_shards_and_card(first_publish, run_output, hub):
    proc, _ = first_publish
    shards = local_shards(run_output)
    n = len(shards)
    files = hub.files("someone/docmatix-demo")
    expected = {f"data/train-{i:05d}-of-{n:05d}.parquet": p.read_bytes() for i, p in enumerate(shards)}
    assert set(files) == set(expected) | {"README.md"}
    for path, content in expected.items():
        assert files[path] == content, path
    # several commits: two shards each, the card in the last one
    commits = [c for c in hub.commits if c.repo_id == "someone/docmatix-demo"]
    assert len(commits) == -(-n // 2)
    assert all(len([p for p in c.added if p.startswith("data/")]) <= 2 for c in commits)
    assert "README.md" in commits[-1].added and all("README.md" not in c.added for c in commits[:-1])
    assert len(hub.uploads) == len(set(hub.uploads)) >= n  # each shard's content sent once
    check_card(parse_card(files["README.md"].decode()), run_output)
    # the token was used (from HF_TOKEN) but never shown
    assert f"Bearer {TOKEN}" in hub.authorizations
    assert TOKEN not in proc.stdout + proc.stderr


def test_second_publish_sends_nothing(first_publish, run_output, hub):
    _, env = first_publish
    uploads, commits = len(hub.uploads), len(hub.commits)
    proc = publish(str(run_output), "someone/docmatix-demo", env=env)
    assert len(hub.uploads) == uploads and len(hub.commits) == commits
    assert "up to date" in proc.stdout
    unchanged = [line for line in proc.stdout.splitlines() if line.startswith("  unchanged ")]
    assert len(unchanged) == len(local_shards(run_output)) + 1  # every shard and the card


def test_republish_replaces_stale_shards_and_resends_only_what_changed(run_output, hub, tmp_path, monkeypatch):
    env = hub_env(hub, tmp_path)
    from huggingface_hub import CommitOperationAdd, HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)  # the fake Hub has no Xet storage
    api = HfApi(endpoint=hub.endpoint, token=TOKEN)
    api.create_repo("someone/partial", repo_type="dataset")
    first = local_shards(run_output)[0]
    ops = [CommitOperationAdd("data/train-00000-of-00009.parquet", b"old layout"),
           CommitOperationAdd(f"data/train-00000-of-{len(local_shards(run_output)):05d}.parquet", str(first))]
    api.create_commit("someone/partial", ops, commit_message="an earlier, interrupted publish",
                      repo_type="dataset")
    commits_before = len(hub.commits)
    proc = publish(str(run_output), "someone/partial", env=env)
    files = hub.files("someone/partial")
    assert "data/train-00000-of-00009.parquet" not in files
    new = hub.commits[commits_before:]
    assert new[-1].deleted == ["data/train-00000-of-00009.parquet"]
    sent = {p for c in new for p in c.added}
    assert f"data/train-00000-of-{len(local_shards(run_output)):05d}.parquet" not in sent  # already there
    assert "unchanged" in proc.stdout


def test_dry_run_lists_files_and_creates_nothing(run_output, hub, tmp_path):
    proc = publish(str(run_output), "someone/dry", "--dry-run", env=hub_env(hub, tmp_path))
    assert ("dataset", "someone/dry") not in hub.repos
    n = len(local_shards(run_output))
    for i in range(n):
        assert f"send       data/train-{i:05d}-of-{n:05d}.parquet" in proc.stdout
    assert "send       README.md" in proc.stdout and "dry run" in proc.stdout


def test_private_repo_on_a_branch(run_output, hub, tmp_path):
    publish(str(run_output), "someone/private-ds", "--private", "--revision", "v1", env=hub_env(hub, tmp_path))
    repo = hub.repo("someone/private-ds")
    assert repo.private
    assert hub.files("someone/private-ds", "main") == {}
    assert "README.md" in hub.files("someone/private-ds", "v1")


def test_publish_without_token_is_refused(run_output, hub, tmp_path):
    env = {**hub_env(hub, tmp_path), "HF_TOKEN": ""}
    proc = subprocess.run([sys.executable, "-m", "docmatix.cli", "publish", str(run_output), "someone/anon"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    assert proc.returncode != 0 and ("dataset", "someone/anon") not in hub.repos


# -- fsspec destinations ---------------------------------------------------------------------------
def test_publish_to_local_folder_loads_with_datasets(run_output, tmp_path):
    dest = tmp_path / "published"
    publish(str(run_output), str(dest))
    n = len(local_shards(run_output))
    assert sorted(p.name for p in (dest / "data").iterdir()) == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    check_card(parse_card((dest / "README.md").read_text()), run_output)
    ds = load_dataset(str(dest), split="train")
    assert ds.features == CAULDRON_FEATURES
    assert len(ds) == json.loads((run_output / "summary.json").read_text())["documents_written"]
    mtimes = {p: p.stat().st_mtime_ns for p in dest.rglob("*.parquet")}
    proc = publish(str(run_output), str(dest))
    assert "up to date" in proc.stdout
    assert mtimes == {p: p.stat().st_mtime_ns for p in dest.rglob("*.parquet")}



@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_publish_to_s3(run_output, s3_server):
    import boto3
    import s3fs

    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="testing", aws_secret_access_key="testing",
                 region_name="us-east-1").create_bucket(Bucket="datasets")
    env = {**creds, "FSSPEC_S3_ENDPOINT_URL": s3_server}
    publish(str(run_output), "s3://datasets/docmatix", env=env)
    fs = s3fs.S3FileSystem(endpoint_url=s3_server, key="testing", secret="testing")
    shards = local_shards(run_output)
    n = len(shards)
    for i, p in enumerate(shards):
        remote = fs.cat_file(f"datasets/docmatix/data/train-{i:05d}-of-{n:05d}.parquet")
        assert hashlib.sha256(remote).digest() == hashlib.sha256(p.read_bytes()).digest()
    check_card(parse_card(fs.cat_file("datasets/docmatix/README.md").decode()), run_output)
    assert not [p for p in fs.find("datasets/docmatix") if ".tmp-" in p]
    proc = publish(str(run_output), "s3://datasets/docmatix", env=env)
    assert "up to date" in proc.stdout
