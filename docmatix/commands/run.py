"""`docmatix run`: the pipeline on this machine (same options as `pipeline/run.py`)."""

from __future__ import annotations

import argparse

from docmatix.pipeline.config import add_run_arguments


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="build a dataset from PDFs (Ray, locally or on RAY_ADDRESS)")
    add_run_arguments(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from docmatix.pipeline.run import run_from_args

    return run_from_args(args)
