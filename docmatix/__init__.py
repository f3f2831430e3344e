"""The `docmatix` command line: run, inspect, publish, mix and check Docmatix-style datasets.

One top-level package, so an installed wheel adds a single name to site-packages (`pipeline`,
`filters` and `schemas` would collide with other distributions). In the wheel its stages live inside
it (pyproject's package-dir); in a checkout they stay at the repo root, as the design card lays them
out, and this package's search path reaches them there: `docmatix.pipeline` is `pipeline/`, on a Ray
worker that only has the job's working directory too.
"""

from pathlib import Path

PACKAGE_PARENT = Path(__file__).resolve().parent.parent  # the folder that must be on sys.path for `docmatix`
_CHECKOUT_STAGES = ("pipeline", "filters", "schemas", "prompts")
if not (Path(__file__).parent / "pipeline").is_dir() and all(
        (PACKAGE_PARENT / name / "__init__.py").is_file() for name in _CHECKOUT_STAGES):
    __path__.append(str(PACKAGE_PARENT))
