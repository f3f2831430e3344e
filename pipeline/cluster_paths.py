"""Paths must mean the same on every node: relative ones do not under `ray job submit` or on a cluster.

Under `ray job submit --working-dir .` the driver runs inside Ray's uploaded copy of the working dir
(git-ignored files such as data/ left out), so a relative input is not the user's file and a relative
output is written into a folder that disappears with the Ray session. On a multi-node cluster a relative
path also names a different folder on every node. Such runs are refused before any work starts.
"""

from __future__ import annotations

import os

# Set by Ray's job supervisor in the environment of a submitted job's driver.
RAY_JOB_ENV = "RAY_JOB_CONFIG_JSON_ENV_VAR"


class NonPortablePath(ValueError):
    """A path given to a run that would mean another file on another node (or inside Ray's copy)."""


def running_as_ray_job() -> bool:
    return RAY_JOB_ENV in os.environ


def relative_local_paths(paths: list[str]) -> list[str]:
    return [p for p in paths if "://" not in p and not os.path.isabs(p)]


def check_portable_paths(inputs: list[str], output: str, where: str) -> None:
    """Raise NonPortablePath naming every relative local path among the run's inputs and output."""
    relative = relative_local_paths([*inputs, output])
    if relative:
        raise NonPortablePath(
            f"relative paths cannot be used in {where}: {', '.join(relative)}. They resolve inside Ray's "
            "copy of --working-dir (without git-ignored files) or on each node separately, and output written "
            "there disappears with the Ray session. Give absolute paths on storage every node sees, or URLs "
            "(s3://, gs://, hf://...)."
        )
