#!/usr/bin/env bash
# The main job on the embedded default: sample PDFA shards from the shared corpus -> out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/docmatix make-sample --out data/sample
# The default filters (`strict`): the 135M embedded model writes mostly poor pairs, and they are dropped,
# each with its reason, in rejects/pairs/ (`docmatix stats OUT` counts them); the few it gets right are
# kept. Point the same command at a real model with --endpoint URL --model NAME.
# --max-tokens 768 keeps the CPU demo short (the default, 2000 as in the reference, suits a GPU server).
.venv/bin/docmatix run data/sample/*.tar --output "${1:-out/demo}" --max-tokens 768 "${@:2}"
