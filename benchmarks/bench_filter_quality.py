"""How well do the filter presets tell good pairs from bad? Every preset side by side on the labelled set.

    .venv/bin/python benchmarks/bench_filter_quality.py [--part dev|aside|all] [--misses]

The set (benchmarks/filter_set/) holds pairs written as real generator models write them for our
templates over real documents, each labelled keep/drop by hand with the kind of mistake. The pairs go
through `docmatix filter-check`'s own code (one document per key, the dedup filters in document
order). Prints, per preset: the share of bad pairs dropped, of good pairs kept, pairs per second, and
the bad pairs caught by kind; `--misses` lists the default preset's wrong verdicts with the reasons.
`--part aside` scores the held-aside documents, which filter work is not tuned on.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from filter_set.labelled_pairs import BAD_KINDS, JUDGE_KINDS, LabelledPair, load_pairs  # noqa: E402

from docmatix.commands.filter_check import check_lines  # noqa: E402
from docmatix.filters.presets import PRESETS, build_preset  # noqa: E402
from docmatix.filters.settings import DEFAULT_PRESET  # noqa: E402


def verdicts(preset: str, pairs: list[LabelledPair]) -> tuple[list[dict], float]:
    lines = io.StringIO("".join(json.dumps(p.filter_check_line(), ensure_ascii=False) + "\n" for p in pairs))
    out = io.StringIO()
    filters = build_preset(preset)
    t0 = time.perf_counter()
    check_lines(lines, out, filters)
    wall = time.perf_counter() - t0
    return [json.loads(line) for line in out.getvalue().splitlines()], wall


def share(hit: int, total: int) -> str:
    return f"{hit}/{total} {100 * hit / total:.0f}%" if total else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("dev", "aside", "all"), default="dev")
    parser.add_argument("--misses", action="store_true", help="list the default preset's wrong verdicts")
    args = parser.parse_args()
    pairs = load_pairs(args.part)
    bad = [p for p in pairs if not p.keep]
    results = {name: verdicts(name, pairs) for name in PRESETS}
    names = list(PRESETS)
    print(f"{args.part}: {len(pairs)} pairs ({len(pairs) - len(bad)} good, {len(bad)} bad) over "
          f"{len({p.key for p in pairs})} documents")
    width = 16
    print(f"{'':<34}" + "".join(f"{n:>{width}}" for n in names))
    rows = [("bad pairs dropped", lambda v: share(sum(not x["keep"] for x, p in zip(v, pairs, strict=True) if not p.keep),
                                                  len(bad))),
            ("good pairs kept", lambda v: share(sum(x["keep"] for x, p in zip(v, pairs, strict=True) if p.keep),
                                                len(pairs) - len(bad)))]
    for label, value in rows:
        print(f"{label:<34}" + "".join(f"{value(results[n][0]):>{width}}" for n in names))
    print(f"{'pairs/s':<34}" + "".join(f"{len(pairs) / results[n][1]:>{width}.0f}" for n in names))
    print("bad pairs dropped, by kind" + ("  (* the judge's: no deterministic check decides it)"))
    for kind in BAD_KINDS:
        of_kind = [i for i, p in enumerate(pairs) if p.kind == kind]
        label = ("* " if kind in JUDGE_KINDS else "  ") + kind
        print(f"{label:<34}" + "".join(
            f"{share(sum(not results[n][0][i]['keep'] for i in of_kind), len(of_kind)):>{width}}" for n in names))
    print("good pairs dropped, by reason")
    for name in names:
        reasons = Counter(x["reasons"][0] for x, p in zip(results[name][0], pairs, strict=True) if p.keep and not x["keep"])
        print(f"  {name:<32}" + (", ".join(f"{r} {c}" for r, c in reasons.most_common()) or "none"))
    if args.misses:
        print(f"\n{DEFAULT_PRESET}: wrong verdicts")
        for x, p in zip(results[DEFAULT_PRESET][0], pairs, strict=True):
            if x["keep"] != p.keep:
                print(f"[{p.kind}] {p.key} {'dropped ' + ','.join(x['reasons']) if p.keep else 'kept'}\n"
                      f"   Q: {p.question}\n   A: {p.answer}")


if __name__ == "__main__":
    main()
