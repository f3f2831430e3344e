#!/usr/bin/env bash
# The main job on the embedded default: sample PDFA shards from the shared corpus -> out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/docmatix make-sample --out data/sample
# The 135M embedded model writes mostly poor pairs: the default `strict` preset rejects nearly all of
# them (ungrounded), so the demo keeps the reference's rules plus the echo filter (`docmatix`: no pair
# copied from our prompts) to show rows end to end; add
# `--filter-preset strict` after the output folder to see strict at work (drops go to rejects/pairs/).
# --max-tokens 768 keeps the CPU demo short (the default, 2000 as in the reference, suits a GPU server).
.venv/bin/docmatix run data/sample/*.tar --output "${1:-out/demo}" --filter-preset docmatix --max-tokens 768 "${@:2}"
