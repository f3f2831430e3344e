#!/usr/bin/env bash
# The main job on the embedded default: sample PDFA shards from the shared corpus -> out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/docmatix make-sample --out data/sample
.venv/bin/docmatix run data/sample/*.tar --output "${1:-out/demo}" "${@:2}"
