"""The pipeline as a Ray job on a real local Ray head, and the cluster launcher config."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from docmatix.pipeline.generate.llm_embedded import free_port

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent



def test_cluster_config_is_valid_for_the_ray_launcher():
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((REPO / "ray_cluster.yaml").read_text())
    validate_config(prepare_config(config))
    types = config["available_node_types"]
    assert types["gpu_vllm"]["resources"]["GPU"] >= 1
    assert types["cpu_extract"]["resources"]["CPU"] > 0
    assert types["head"]["resources"]["CPU"] == 0


def test_cluster_config_example_command_parses_and_sizes_workers_to_the_cluster():
    import argparse
    import shlex

    from docmatix.pipeline.config import add_run_arguments, config_from_args
    from docmatix.pipeline.on_ray.read_stage import READ_CPUS_PER_READER

    header = (REPO / "ray_cluster.yaml").read_text().split("\ncluster_name")[0]
    command = " ".join(line.lstrip("# ").rstrip("\\ ") for line in header.splitlines()
                       if line.startswith("#       ") or "python pipeline/run.py" in line)
    argv = shlex.split(command.split("python pipeline/run.py", 1)[1])
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    run = config_from_args(parser.parse_args(argv))
    cpu_workers = yaml.safe_load((REPO / "ray_cluster.yaml").read_text())["available_node_types"]["cpu_extract"]
    assert run.extract_concurrency == cpu_workers["max_workers"] * cpu_workers["resources"]["CPU"]
    assert run.read_concurrency == run.extract_concurrency // READ_CPUS_PER_READER and len(run.endpoints) == 2


def _node_ports() -> list[str]:
    """Explicit free ports for one node: the agents' defaults clash with any other Ray on this machine."""
    return [f"--dashboard-agent-listen-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
            f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}",
            f"--node-manager-port={free_port()}", f"--object-manager-port={free_port()}"]


def _rows(out: Path) -> list[dict]:
    """Every Cauldron row with its key (from meta/), images as hashes, in the order the shards hold them."""
    import hashlib

    import pyarrow.parquet as pq

    rows = []
    for shard in sorted(out.glob("*.parquet")):
        meta = pq.read_table(out / "meta" / shard.name, columns=["key"]).to_pylist()
        for m, row in zip(meta, pq.read_table(shard).to_pylist(), strict=True):
            rows.append({"key": m["key"], "texts": row["texts"], "shard": shard.name,
                         "images": [hashlib.sha256(i["bytes"]).hexdigest() for i in row["images"]]})
    return rows


@pytest.mark.slow
def test_ray_job_submit_on_a_multi_node_cluster(e2e_shard, tmp_path):
    """A head with no CPU and two worker nodes on 127.0.0.1, the job sent with `ray job submit`: its rows
    equal a local run's (same stand-in LLM) and `docmatix verify` passes."""
    from docmatix.output.verify import verify_output
    from tests.fake_llm_server import FakeServer

    # Token auth as the README shows it: RAY_AUTH_MODE=token on every node, the token made once with
    # `ray get-auth-token --generate` (~/.ray/auth_token, a HOME of the test's own here), RAY_AUTH_TOKEN to submit.
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", RAY_USAGE_STATS_ENABLED="0",
               RAY_AUTH_MODE="token", HOME=str(tmp_path / "home"))
    env.pop("RAY_ADDRESS", None)
    env.pop("RAY_AUTH_TOKEN", None)
    gcs_port, dash_port = free_port(), free_port()
    temp_dir = Path("/tmp") / f"ray-test-{os.getpid()}"
    ray = str(VENV_BIN / "ray")
    common = ["--node-ip-address=127.0.0.1", "--disable-usage-stats", "--object-store-memory=300000000"]
    token = subprocess.run([ray, "get-auth-token", "--generate"], env=env, capture_output=True, text=True,
                           check=True, timeout=60).stdout.strip()
    assert token and (tmp_path / "home" / ".ray" / "auth_token").read_text().strip() == token
    subprocess.run([ray, "start", "--head", f"--port={gcs_port}", "--dashboard-host=127.0.0.1",
                    f"--dashboard-port={dash_port}", "--num-cpus=0", "--include-dashboard=true",
                    f"--temp-dir={temp_dir}", *common, *_node_ports()],
                   check=True, env=env, capture_output=True, timeout=300)
    try:
        for _ in range(2):  # two worker nodes of one CPU each: the work must leave the head
            subprocess.run([ray, "start", f"--address=127.0.0.1:{gcs_port}", "--num-cpus=1", *common,
                            *_node_ports()], check=True, env=env, capture_output=True, timeout=300)
        submit_env = dict(env, RAY_AUTH_TOKEN=token)
        with FakeServer() as server:
            out = tmp_path / "job-out"
            args = [str(e2e_shard), "--endpoint", server.base_url, "--max-tokens", "96", "--no-progress"]
            submit = [ray, "job", "submit", "--address", f"http://127.0.0.1:{dash_port}", "--working-dir",
                      str(REPO), "--", "python", "pipeline/run.py", *args, "--output", str(out)]
            deadline = time.monotonic() + 300
            while True:
                proc = subprocess.run(submit, env=submit_env, capture_output=True, text=True, timeout=1200, cwd=REPO)
                # The head's job agent can take a while to come up on a loaded machine.
                if "No available agent" not in proc.stderr or time.monotonic() > deadline:
                    break
                time.sleep(5)
            assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
            assert "succeeded" in proc.stdout.lower()
            # without the token the head refuses the job
            refused = subprocess.run(submit, env=dict(env, HOME=str(tmp_path / "other-home")), capture_output=True,
                                     text=True, timeout=600, cwd=REPO)
            assert refused.returncode != 0, (refused.stdout + refused.stderr)[-2000:]
            local = tmp_path / "local-out"
            subprocess.run([sys.executable, "pipeline/run.py", *args, "--output", str(local)], check=True,
                           cwd=REPO, capture_output=True, timeout=1200)
        summary = json.loads((out / "summary.json").read_text())
        assert summary["documents_read"] == 5
        assert summary["documents_read"] == summary["documents_written"] + summary["documents_rejected"]
        assert summary["documents_written"] >= 1
        job_rows = _rows(out)
        assert job_rows == _rows(local) and len(job_rows) == summary["documents_written"]
        report = verify_output(str(out))
        assert report.ok, report.problems
        # Relative paths would resolve inside Ray's copy of the working dir: refused, the job fails.
        relative = [*submit[:submit.index("--") + 1], "python", "pipeline/run.py", "data/sample/x.tar",
                    "--output", "out/jobrel", "--no-progress"]
        proc = subprocess.run(relative, env=submit_env, capture_output=True, text=True, timeout=600, cwd=REPO)
        assert proc.returncode != 0 and "failed" in proc.stdout.lower(), (proc.stdout + proc.stderr)[-4000:]
        assert "relative paths cannot be used in a Ray job" in proc.stdout + proc.stderr
    finally:
        _stop_cluster(temp_dir)


def _stop_cluster(temp_dir: Path) -> None:
    """Stop only this test's Ray processes (`ray stop` would end every Ray instance on the machine)."""
    import psutil

    ours = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(str(temp_dir) in part for part in proc.info["cmdline"] or []):
                ours.append(proc)
        except psutil.Error:
            continue
    for proc in ours:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(ours, timeout=30)
