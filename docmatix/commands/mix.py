"""`docmatix mix OUT --subset NAME=SOURCE ...`: a training mixture of our output and Cauldron-format
subsets with asked shares (of rows or of QA pairs). Writes OUT/mixture.json (which rows of which files,
enough for `docmatix.mix.mixture.load_mixture`) and, with --write-parquet, re-sharded Parquet + a dataset
card that `datasets.load_dataset(OUT)` loads as one dataset with the Cauldron features.
"""

from __future__ import annotations

import argparse

from docmatix.mix.mixture import (
    MixtureError,
    SubsetSpec,
    build_mixture,
    write_manifest,
    write_mixture_parquet,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mix", help="build a training mixture of outputs and Cauldron-format subsets")
    p.add_argument("out", help="folder (or fsspec URL) for mixture.json and the optional Parquet")
    p.add_argument("--subset", action="append", required=True, metavar="NAME=SOURCE",
                   help="a subset: a run output, a folder/URL of Cauldron Parquet (SOURCE#config picks "
                        "<config>/), or hf://datasets/owner/name[#config] (repeatable)")
    p.add_argument("--weight", action="append", default=[], metavar="NAME=W",
                   help="share of the mixture for a subset (default 1: equal shares)")
    p.add_argument("--by", choices=["rows", "pairs"], default="rows", help="what the shares count")
    p.add_argument("--total", type=float, default=None,
                   help="size of the mixture in rows/pairs (default: the largest without repeating a row)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--write-parquet", action="store_true", help="also write re-sharded Parquet and a card")
    p.add_argument("--rows-per-shard", type=int, default=2000)
    p.add_argument("--license", default="other", help="license id for the mixture's card")
    p.set_defaults(func=main)


def parse_pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        name, sep, rest = v.partition("=")
        if not sep or not name or not rest:
            raise SystemExit(f"{what} must look like NAME=VALUE, got {v!r}")
        out[name] = rest
    return out


def specs_from_args(args: argparse.Namespace) -> list[SubsetSpec]:
    sources = parse_pairs(args.subset, "--subset")
    weights = parse_pairs(args.weight, "--weight")
    unknown = set(weights) - set(sources)
    if unknown:
        raise SystemExit(f"--weight for unknown subset(s): {sorted(unknown)}")
    return [SubsetSpec(name, source, float(weights.get(name, 1.0))) for name, source in sources.items()]


def main(args: argparse.Namespace) -> int:
    try:
        mixture = build_mixture(specs_from_args(args), by=args.by, total=args.total, seed=args.seed)
    except MixtureError as e:
        raise SystemExit(f"docmatix mix: {e}") from None
    manifest = write_manifest(mixture, args.out)
    print(f"{'subset':<20} {'asked':>7} {'share':>7} {'rows':>8} {'pairs':>8}")
    for s in mixture.summary():
        print(f"{s['name']:<20} {s['asked_share']:>7.3f} {s['share']:>7.3f} {s['rows_selected']:>8,} "
              f"{s['pairs_selected']:>8,}")
    print(f"manifest: {manifest}")
    if args.write_parquet:
        paths = write_mixture_parquet(manifest, args.out, args.rows_per_shard, args.license)
        print(f"wrote {len(paths)} shard(s) and README.md under {args.out}")
    return 0
