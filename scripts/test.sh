#!/usr/bin/env bash
# The test suite (what CI runs): installs what is missing, lints, then runs pytest.
#   bash scripts/test.sh [--fast] [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
# The real-vLLM tests (marker `vllm`) need a server: scripts/test_vllm.sh runs them, .ci/run calls both.
# --fast: the unit tests of every module, without the full runs, clusters and builds (marker `slow`).
marks="not vllm"
if [ "${1:-}" = "--fast" ]; then
  marks="not vllm and not slow"
  shift
fi
.venv/bin/python -m pytest -q -m "$marks" "$@"
