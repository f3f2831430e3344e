#!/usr/bin/env bash
# The test suite (what CI runs): installs what is missing, lints, then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
# The real-vLLM tests (marker `vllm`) need a server: scripts/test_vllm.sh runs them, .ci/run calls both.
.venv/bin/python -m pytest -q -m "not vllm" "$@"
