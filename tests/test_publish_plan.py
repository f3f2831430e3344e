"""Fast checks of the pieces behind publish and mix: what is sent, in which commits, where to, and how
a feature difference is worded."""

from __future__ import annotations

from datasets import Features, Image, Value

from docmatix.commands.publish import hub_repo_id, is_hub_destination
from docmatix.output.features_diff import feature_differences
from docmatix.publish.plan import commit_batches, make_plan
from docmatix.publish.repo_layout import PlannedFile, hub_shard_name, planned_content
from docmatix.schemas.output import CAULDRON_FEATURES


def shard(i: int, n: int, size: int = 100) -> PlannedFile:
    return PlannedFile(hub_shard_name(i, n), sha256=f"{i:064x}", size=size, source=f"/out/u-{i:05d}.parquet")


def test_plan_skips_same_content_and_deletes_shards_of_another_layout():
    planned = [shard(0, 3), shard(1, 3), shard(2, 3), planned_content("README.md", b"card")]
    remote = {"data/train-00000-of-00003.parquet": f"{0:064x}",  # same content: skipped
              "data/train-00001-of-00003.parquet": "f" * 64,  # other content: sent again
              "data/train-00000-of-00002.parquet": "x", "notes.txt": "x"}
    plan = make_plan(planned, remote, lambda f, r: f.sha256 == r)
    assert [f.path_in_repo for f in plan.unchanged] == ["data/train-00000-of-00003.parquet"]
    assert [f.path_in_repo for f in plan.send] == ["data/train-00001-of-00003.parquet",
                                                   "data/train-00002-of-00003.parquet", "README.md"]
    assert plan.delete == ["data/train-00000-of-00002.parquet"]  # never a file outside the shard layout


def test_commits_hold_at_most_n_files_or_bytes_and_the_card_comes_last():
    planned = [shard(i, 5, size=40) for i in range(5)] + [planned_content("README.md", b"card")]
    plan = make_plan(planned, {"data/train-00000-of-00009.parquet": "x"}, lambda f, r: False)
    batches = commit_batches(plan, max_files=2, max_bytes=10**9)
    names = [[f.path_in_repo for f in b.files] for b in batches]
    assert names == [[hub_shard_name(0, 5), hub_shard_name(1, 5)], [hub_shard_name(2, 5), hub_shard_name(3, 5)],
                     [hub_shard_name(4, 5), "README.md"]]
    assert batches[-1].files[-1].path_in_repo == "README.md"
    assert batches[-1].deletions == ["data/train-00000-of-00009.parquet"]
    assert all(not b.deletions for b in batches[:-1])
    by_bytes = commit_batches(plan, max_files=100, max_bytes=100)
    assert [len(b.files) for b in by_bytes] == [2, 2, 2]  # 40+40 <= 100 < 40+40+40
    assert commit_batches(make_plan(planned, {}, lambda f, r: True), 2, 10**9)  # a new repo gets commits
    up_to_date = make_plan(planned, {f.path_in_repo: None for f in planned}, lambda f, r: True)
    assert up_to_date.empty and commit_batches(up_to_date, 2, 10**9) == []


def test_destination_kinds():
    assert is_hub_destination("someone/docmatix") and is_hub_destination("hf://datasets/someone/docmatix")
    assert hub_repo_id("hf://datasets/someone/docmatix") == "someone/docmatix"
    for dest in ("s3://bucket/prefix", "/data/out", "./someone/docmatix", "~/x/y", "gs://b/p", "file:///x/y"):
        assert not is_hub_destination(dest), dest


def test_feature_differences_name_each_differing_column():
    assert feature_differences(CAULDRON_FEATURES, Features.from_arrow_schema(CAULDRON_FEATURES.arrow_schema)) == []
    other = Features({"images": Image(), "texts": [{"user": Value("string"), "assistant": Value("string")}],
                      "id": Value("int64")})
    assert feature_differences(CAULDRON_FEATURES, other, "the Cauldron") == [
        "'images' is Image(mode=None, decode=True) where the Cauldron has List",
        "missing 'texts[].source' (Value('string'))",
        "unexpected 'id' (Value('int64'))",
    ]
