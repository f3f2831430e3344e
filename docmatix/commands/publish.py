"""`docmatix publish OUTPUT DEST`: put a run's output on the Hub (or any fsspec destination) as a
dataset a trainer loads: `data/train-XXXXX-of-NNNNN.parquet` shards and a dataset card with the Cauldron
features and the run's statistics. Resumable: what is already there with the same content is not sent.

DEST is a Hub dataset repo id (`owner/name`, or `hf://datasets/owner/name`), or an fsspec URL / local
folder (`s3://bucket/prefix`, `/data/out`, `./owner/name`).
"""

from __future__ import annotations

import argparse
import logging
import posixpath
import re

import fsspec

from docmatix.publish.configs import ExtraConfig, build_pdf_config, build_zero_shot_config, parse_zero_shot
from docmatix.publish.dataset_card import (
    CardConfig,
    CardContent,
    render_card,
    run_statistics,
    run_statistics_section,
)
from docmatix.publish.plan import Destination, commit_batches, describe_plan, make_plan
from docmatix.publish.repo_layout import (
    CARD_PATH,
    PlannedFile,
    plan_shards,
    planned_content,
    read_summary,
    uncompressed_bytes,
)

log = logging.getLogger("docmatix.publish")

REPO_ID_RE = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
DESCRIPTION = ("Document question answering data built from PDFs with the Docmatix builder: each row holds "
               "a document's rendered pages and question/answer pairs an LLM wrote from the page text, "
               "after the pipeline's filters.")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("publish", help="upload an output to the HF Hub (or an fsspec folder) with a dataset card")
    p.add_argument("output", help="output directory of `docmatix run` (local path or fsspec URL)")
    p.add_argument("dest", help="Hub dataset repo id (owner/name, hf://datasets/owner/name) or an fsspec "
                                "URL / local folder (s3://bucket/prefix, /path, ./path)")
    p.add_argument("--private", action="store_true", help="create the Hub repo private")
    p.add_argument("--revision", default=None, help="Hub branch to commit to (created if missing)")
    p.add_argument("--dry-run", action="store_true", help="list what would be sent, send nothing")
    p.add_argument("--license", default="mit", help="license id for the card (default: mit, as Docmatix)")
    p.add_argument("--pretty-name", default=None, help="title of the card (default: the repo/folder name)")
    p.add_argument("--config", dest="configs", action="append", choices=["pdf"], default=[],
                   help="also publish this config: pdf (pdf/train-*: each row's original PDF bytes, re-read "
                        "from the run's inputs, and the same texts, as Docmatix's pdf config)")
    p.add_argument("--zero-shot-exp", type=parse_zero_shot, default=None, metavar="TEST,TRAIN",
                   help="also publish the zero-shot-exp config: the first TEST rows as test, the next TRAIN "
                        "as train (Docmatix: 200,1700)")
    p.add_argument("--files-per-commit", type=int, default=100, help="shards per Hub commit")
    p.add_argument("--bytes-per-commit", type=float, default=50e9, help="bytes of shards per Hub commit")
    p.set_defaults(func=main)


def is_hub_destination(dest: str) -> bool:
    if dest.startswith("hf://"):
        return True
    return "://" not in dest and not dest.startswith((".", "/", "~")) and bool(REPO_ID_RE.fullmatch(dest))


def hub_repo_id(dest: str) -> str:
    repo = dest.removeprefix("hf://").removeprefix("datasets/")
    if not REPO_ID_RE.fullmatch(repo):
        raise SystemExit(f"not a Hub dataset repo id: {dest}")
    return repo


def make_destination(args: argparse.Namespace, source_fs: fsspec.AbstractFileSystem) -> Destination:
    if is_hub_destination(args.dest):
        from docmatix.publish.to_hub import HubDestination

        return HubDestination(hub_repo_id(args.dest), source_fs, revision=args.revision, private=args.private)
    if args.revision or args.private:
        raise SystemExit("--revision and --private apply to Hub repos only")
    from docmatix.publish.to_fsspec import FsspecDestination

    return FsspecDestination(args.dest, source_fs)


def build_card(output: str, shards: list[PlannedFile], summary: dict, license: str, pretty_name: str,
               extras: list[ExtraConfig] = ()) -> bytes:
    fs, _ = fsspec.core.url_to_fs(output)
    stats = run_statistics(summary)
    card_configs = [CardConfig(e.name, e.data_files(), e.features, e.split_sizes(fs),
                               sum(f.size for f in e.all_files())) for e in extras]
    content = CardContent(
        pretty_name=pretty_name,
        license=license,
        num_rows=sum(f.rows for f in shards),
        num_bytes=uncompressed_bytes(fs, [f.source for f in shards]),
        download_size=sum(f.size for f in shards),
        stats=stats,
        description=DESCRIPTION,
        body_sections=[run_statistics_section(stats)],
        extra_configs=card_configs,
    )
    return render_card(content).encode()


def plan_files(output: str, license: str, pretty_name: str, configs: list[str] = (),
               zero_shot: tuple[int, int] | None = None) -> list[PlannedFile]:
    summary = read_summary(output)
    if summary.get("units_done") != summary.get("units_total"):
        log.warning("the run is unfinished (%s of %s units done): publishing the finished units only",
                    summary.get("units_done"), summary.get("units_total"))
    shards = plan_shards(output)
    if not shards:
        raise SystemExit(f"{output} has no finished output shard to publish")
    extras = []
    if "pdf" in configs:
        extras.append(build_pdf_config(output, shards, summary))
    if zero_shot is not None:
        extras.append(build_zero_shot_config(output, shards, *zero_shot))
    card = build_card(output, shards, summary, license, pretty_name, extras)
    return [*shards, *(f for e in extras for f in e.all_files()), planned_content(CARD_PATH, card)]


def main(args: argparse.Namespace) -> int:
    from huggingface_hub.errors import HfHubHTTPError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per HTTP request otherwise
    try:
        return publish(args)
    except HfHubHTTPError as e:  # the message names the URL and the Hub's reason, never the token
        raise SystemExit(f"docmatix publish: {e}") from None


def publish(args: argparse.Namespace) -> int:
    source_fs, _ = fsspec.core.url_to_fs(args.output)
    dest = make_destination(args, source_fs)
    pretty_name = args.pretty_name or posixpath.basename(args.dest.rstrip("/"))
    planned = plan_files(args.output, args.license, pretty_name, args.configs, args.zero_shot_exp)
    plan = make_plan(planned, dest.remote_files(), dest.same)
    for line in describe_plan(plan, dest.describe()):
        print(line)
    if args.dry_run or plan.empty:
        print("dry run: nothing sent" if args.dry_run else "up to date: nothing to send")
        return 0
    dest.prepare()
    batches = commit_batches(plan, args.files_per_commit, int(args.bytes_per_commit))
    for i, batch in enumerate(batches, 1):
        message = f"Docmatix builder: add {len(batch.files)} file(s) ({i}/{len(batches)})"
        if batch.deletions:
            message += f", remove {len(batch.deletions)} stale shard(s)"
        dest.send(batch.files, batch.deletions, message)
        print(f"commit {i}/{len(batches)}: {len(batch.files)} file(s), {sum(f.size for f in batch.files):,} B, "
              f"{len(batch.deletions)} deletion(s)")
    print(f"published {len(plan.send)} file(s) to {dest.describe()}")
    return 0
