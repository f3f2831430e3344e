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

from pipeline.llm_embedded import free_port

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

    from pipeline.config import add_run_arguments, config_from_args
    from pipeline.ray_stages import READ_CPUS_PER_READER

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


@pytest.mark.slow
def test_ray_job_submit_against_local_head(e2e_shard, tmp_path):
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", RAY_USAGE_STATS_ENABLED="0",
               # a loopback-only test cluster: no token auth, so the CLI needs no token file
               RAY_AUTH_MODE="disabled")
    env.pop("RAY_ADDRESS", None)
    gcs_port, dash_port = free_port(), free_port()
    temp_dir = Path("/tmp") / f"ray-test-{os.getpid()}"
    ray = str(VENV_BIN / "ray")
    subprocess.run([ray, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={gcs_port}",
                    "--dashboard-host=127.0.0.1", f"--dashboard-port={dash_port}", "--num-cpus=2",
                    "--include-dashboard=true", f"--temp-dir={temp_dir}", "--disable-usage-stats",
                    # explicit free ports: the agents' defaults clash with any other Ray on this machine
                    f"--dashboard-agent-listen-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
                    f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}",
                    f"--node-manager-port={free_port()}", f"--object-manager-port={free_port()}"],
                   check=True, env=env, capture_output=True, timeout=300)
    try:
        out = tmp_path / "job-out"
        submit = [ray, "job", "submit", "--address", f"http://127.0.0.1:{dash_port}", "--working-dir", str(REPO),
                  "--", "python", "pipeline/run.py", str(e2e_shard), "--output", str(out),
                  "--max-tokens", "96", "--no-progress"]
        deadline = time.monotonic() + 300
        while True:
            proc = subprocess.run(submit, env=env, capture_output=True, text=True, timeout=1200, cwd=REPO)
            # The head's job agent can take a while to come up on a loaded machine.
            if "No available agent" not in proc.stderr or time.monotonic() > deadline:
                break
            time.sleep(5)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
        assert "succeeded" in proc.stdout.lower()
        summary = json.loads((out / "summary.json").read_text())
        assert summary["documents_read"] == 5
        assert summary["documents_read"] == summary["documents_written"] + summary["documents_rejected"]
        assert (out / "manifest.json").exists()
        # Relative paths would resolve inside Ray's copy of the working dir: refused, the job fails.
        relative = [*submit[:submit.index("--") + 1], "python", "pipeline/run.py", "data/sample/x.tar",
                    "--output", "out/jobrel", "--no-progress"]
        proc = subprocess.run(relative, env=env, capture_output=True, text=True, timeout=600, cwd=REPO)
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
