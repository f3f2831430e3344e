"""Which vLLM releases still serve Phi-3-small (`Phi3SmallForCausalLM`), checked without a GPU.

    python scripts/check_phi3_small_vllm.py [--versions 0.9.2,0.10.0] [--keep DIR]

Downloads each release's wheel with `pip download --no-deps` (about 400 MB each; nothing is installed)
and reads it as a zip: is the model file there, does the model registry list the architecture, and is
the legacy `api_server` (the raw `{"prompt", "max_tokens"}` server the Docmatix scripts called) there.
Expected (docs/reproducing-docmatix.md): 0.9.2 is the last release with the architecture; 0.10.0
removed it (vllm-project/vllm#21217). Exit status 1 when a release does not match that expectation.
Not part of the test suite (it downloads gigabytes); run it by hand when the recipe is in doubt.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LAST_WITH_PHI3_SMALL = "0.9.2"
MODEL_FILE = "vllm/model_executor/models/phi3_small.py"
REGISTRY = "vllm/model_executor/models/registry.py"
LEGACY_SERVER = "vllm/entrypoints/api_server.py"
# The registry maps the architecture to its module; later releases name it in `_PREVIOUSLY_SUPPORTED_MODELS`
# with the last version that had it (so a bare substring search would find it there too).
REGISTERED = re.compile(r'"Phi3SmallForCausalLM":\s*\(\s*"phi3_small"')
PREVIOUSLY = re.compile(r'_PREVIOUSLY_SUPPORTED_MODELS\s*=\s*\{[^}]*"Phi3SmallForCausalLM":\s*"([^"]+)"')


def version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".") if p.isdigit())


def download(version: str, into: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--quiet",
                    f"vllm=={version}", "-d", str(into)], check=True)
    wheels = sorted(into.glob(f"vllm-{version}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip downloaded no wheel of vllm {version}")
    return wheels[0]


def inspect(wheel: Path) -> dict[str, bool]:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        registry = z.read(REGISTRY).decode() if REGISTRY in names else ""
    previously = PREVIOUSLY.search(registry)
    return {"model_file": MODEL_FILE in names, "registry_lists_it": bool(REGISTERED.search(registry)),
            "legacy_api_server": LEGACY_SERVER in names,
            "previously_supported_until": previously.group(1) if previously else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", default=f"{LAST_WITH_PHI3_SMALL},0.10.0")
    parser.add_argument("--keep", default=None, help="download into this folder and keep the wheels")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'vllm':<10} {'model file':<11} {'registry':<9} {'api_server':<11} {'expected':<8} registry says")
        for version in args.versions.split(","):
            found = inspect(download(version, folder))
            expected = version_key(version) <= version_key(LAST_WITH_PHI3_SMALL)
            match = found["model_file"] == found["registry_lists_it"] == expected
            ok &= match
            until = found["previously_supported_until"]
            print(f"{version:<10} {found['model_file']!s:<11} {found['registry_lists_it']!s:<9} "
                  f"{found['legacy_api_server']!s:<11} {'has it' if expected else 'removed':<8} "
                  f"{f'last supported in {until}' if until else '-'}{'' if match else '  <- MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
