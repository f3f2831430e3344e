"""`docmatix verify` on a written output: every file against the manifest (hashes, rows), files the
manifest does not know, and the exit status and lines a user reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq

from docmatix.cli import main as cli_main
from docmatix.output.verify import verify_output


def copy_of(output: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(output, out)
    return out


def test_an_untouched_output_verifies(synthetic_output, capsys):
    report = verify_output(str(synthetic_output), check_inputs=False)
    assert report.ok and report.files_checked >= 2
    assert cli_main(["verify", str(synthetic_output), "--no-inputs"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")


def test_a_shard_missing_a_row_fails_by_hash_and_rows(synthetic_output, tmp_path, capsys):
    out = copy_of(synthetic_output, tmp_path)
    shard = sorted(out.glob("*.parquet"))[0]
    table = pq.read_table(shard)
    pq.write_table(table.slice(0, table.num_rows - 1), shard)
    problems = verify_output(str(out), check_inputs=False).problems
    assert any("sha256" in p and shard.name in p for p in problems)
    assert cli_main(["verify", str(out), "--no-inputs"]) == 1
    printed = capsys.readouterr().out
    assert "FAIL" in printed and "problem(s)" in printed


def test_a_file_the_manifest_does_not_know_and_a_missing_manifest(synthetic_output, tmp_path):
    out = copy_of(synthetic_output, tmp_path)
    shutil.copy(sorted(out.glob("*.parquet"))[0], out / "stray-00000.parquet")
    assert any("stray-00000.parquet" in p for p in verify_output(str(out), check_inputs=False).problems)
    (out / "manifest.json").unlink()
    assert verify_output(str(out), check_inputs=False).problems == [f"no manifest.json in {out}"]
