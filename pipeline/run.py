"""Ray job entry point: PDFs in, Cauldron-format Parquet out.

    ray job submit --working-dir . -- python pipeline/run.py INPUT ... --output DIR [--endpoint URL]

`docmatix run` calls the same `main`. Locally, with no RAY_ADDRESS, it starts Ray on this machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `python pipeline/run.py` puts pipeline/ first, not the repo root
    sys.path.insert(0, str(REPO_ROOT))

from pipeline.cluster_paths import NonPortablePath, check_portable_paths, running_as_ray_job  # noqa: E402
from pipeline.config import RunConfig, add_run_arguments, config_from_args  # noqa: E402
from pipeline.llm_embedded import EmbeddedServer  # noqa: E402
from pipeline.prompt_templates import load_templates  # noqa: E402
from pipeline.record_rows import UnitEnd, from_row, to_row  # noqa: E402
from pipeline.run_progress import RequestProgress  # noqa: E402
from pipeline.run_summary import build_summary, run_timings, write_json  # noqa: E402
from pipeline.s1_read import count_documents, discover_units  # noqa: E402
from pipeline.s6_write import UnitWriter, read_done_markers, remove_partial_unit  # noqa: E402
from schemas.output_layout import MANIFEST, SUMMARY, output_url, rejects_dir  # noqa: E402
from schemas.records import FinishedDocument, RejectedDocument  # noqa: E402
from schemas.reject_reasons import INPUT_UNREADABLE  # noqa: E402

log = logging.getLogger("docmatix")
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request drowns the progress bar
logging.getLogger("pikepdf").setLevel(logging.WARNING)  # an INFO line when imported (pipeline/pdf_open.py)


def _init_ray(config: RunConfig) -> None:
    import ray

    if ray.is_initialized():
        return
    # Ray's INFO lines and warnings are in its log folder anyway; in the terminal they bury the progress bar.
    level = logging.INFO if config.verbose else logging.ERROR
    if not config.verbose:
        warnings.filterwarnings("ignore", module=r"ray(\.|$)")
    if os.environ.get("RAY_ADDRESS"):
        # inside `ray job submit`: the job's runtime env is already set
        ray.init(log_to_driver=False, logging_level=level)
    else:
        # A local instance: the object store is capped so memory stays bounded whatever the corpus.
        ray.init(address="local", runtime_env={"env_vars": {"PYTHONPATH": str(REPO_ROOT)}}, log_to_driver=False,
                 include_dashboard=False, object_store_memory=config.object_store_memory, logging_level=level)
    for name in ("ray", "ray.data"):  # Ray Data configures its own logger ("ray.data") at import
        logging.getLogger(name).setLevel(level)


def _progress(total: int | None, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", desc="documents", disable=not enabled, dynamic_ncols=True)


def execute(config: RunConfig, endpoints: list[str], model: str | None) -> int:
    """Run every pending unit through the Ray Data pipeline and write it; returns how many were pending."""
    import ray
    from ray.data import ActorPoolStrategy, DataContext, TaskPoolStrategy

    from pipeline.ray_stages import (
        ExtractPages,
        GenerateAndFilter,
        cache_path,
        extract_pool,
        generate_concurrency,
        read_concurrency,
        read_unit,
    )

    units = discover_units(config.inputs, config.pdfs_per_unit)
    done = read_done_markers(config.output)
    pending = [u for u in units if u.unit_id not in done]
    for unit in pending:
        remove_partial_unit(config.output, unit.unit_id)
    if not pending:
        return 0
    _init_ray(config)
    if sum(1 for node in ray.nodes() if node["Alive"]) > 1:
        check_portable_paths(list(config.inputs), config.output, "a multi-node Ray cluster")
    ctx = DataContext.get_current()
    ctx.execution_options.preserve_order = True  # each unit's records arrive together, in input order
    ctx.enable_progress_bars = False
    # Small blocks keep documents streaming one by one (a whole shard is one block by default).
    ctx.target_max_block_size = 4 * 1024 * 1024
    counts = [count_documents(u) for u in pending]
    total = None if any(c is None for c in counts) else sum(counts)

    ds = ray.data.from_items([to_row(u.unit_id, 0, u) for u in pending], override_num_blocks=len(pending))
    # Reading is I/O, so it reserves no CPU (the extraction pool may hold them all) and is a separate
    # operator so documents of one shard are extracted in parallel. The number of readers and of
    # extraction actors (each with one isolated child) is set by settings and the cluster, never by
    # the corpus: that, the generation actor's in-flight limit and the object store bound memory.
    readers = read_concurrency(config.read_concurrency, config.extract_concurrency,
                               ray.cluster_resources().get("CPU", 1))
    ds = ds.flat_map(read_unit, fn_kwargs={"max_pdf_bytes": config.max_pdf_bytes}, num_cpus=0,
                     compute=TaskPoolStrategy(size=readers))
    ds = ds.map(ExtractPages, fn_constructor_args=(config.extract.stage_settings(), tuple(config.languages)),
                compute=extract_pool(config.extract_concurrency))
    if config.llm_mode == "ray-vllm":  # vLLM engines inside the cluster (pipeline/llm_ray_vllm.py)
        from pipeline import llm_ray_vllm
        from pipeline.s5_filter import benchmark_from, filters_from

        ds = llm_ray_vllm.apply(ds, config, load_templates(config.prompts_dir))
        finish = llm_ray_vllm.Regrouper(config.answer_format, filters_from(config), config.loop_settings(),
                                        benchmark_from(config)).feed
    else:
        ds = ds.map_batches(GenerateAndFilter, fn_constructor_args=(config, endpoints, model), batch_size=16,
                            num_cpus=0, batch_format="numpy",
                            compute=ActorPoolStrategy(  # one actor; many batches at once keep endpoints busy
                                size=1, enable_true_multi_threading=True,
                                max_concurrent_calls_per_actor=generate_concurrency(config, len(endpoints), 16)))
        finish = from_row

    writer: UnitWriter | None = None
    with _progress(total, config.progress) as bar, RequestProgress(cache_path(config), bar):
        for row in ds.iter_rows():
            record = finish(row)
            if record is None:  # ray-vllm: a chunk answer of a document not complete yet
                continue
            if writer is None or writer.unit_id != row["unit_id"]:
                writer = UnitWriter(config.output, row["unit_id"], config.rows_per_shard, config.bytes_per_shard)
            if isinstance(record, UnitEnd):
                writer.commit()
                writer = None
                continue
            if isinstance(record, FinishedDocument):
                writer.add_finished(record)
            elif isinstance(record, RejectedDocument):
                writer.add_rejected(record)
            else:
                raise TypeError(f"unexpected record at the end of the pipeline: {type(record).__name__}")
            bar.update(1)
    if writer is not None:  # a stream that ended without its UnitEnd: leave the unit to be redone
        writer.abort()
    return len(pending)


def run(config: RunConfig) -> dict:
    started = time.time()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    templates = load_templates(config.prompts_dir)  # fail fast on a broken template
    server = None
    endpoints, model = list(config.endpoints), config.model
    try:
        if not endpoints and config.llm_mode == "endpoint":
            server = EmbeddedServer(parallel=config.embedded_parallel, ctx_per_slot=config.embedded_ctx,
                                    prompt_cache=config.embedded_prompt_cache).start()
            endpoints, model = [server.base_url], model or server.model_name
            log.info("embedded llama.cpp server at %s (%s)", server.base_url, server.model_name)
        processed = execute(config, endpoints, model)
    finally:
        if server is not None:
            server.stop()
    units = discover_units(config.inputs, config.pdfs_per_unit)
    this_run = {"started_at": started_at, "wall_time_s": round(time.time() - started, 3),
                "units_processed": processed}
    extra = {
        **run_timings(config.output, this_run),
        "model": model,
        "endpoints": "embedded" if server is not None else endpoints,
        "templates": [t.name for t in templates],
        "profile": config.profile,
        "sampling": config.sampling(),
        "answer_format": config.answer_format,
        "filter_preset": config.filter_preset,
        "config": config.to_json(),
    }
    summary, manifest = build_summary(config.output, [u.unit_id for u in units], extra)
    write_json(config.output, SUMMARY, summary)
    write_json(config.output, MANIFEST, manifest)
    return summary


def run_from_args(args: argparse.Namespace) -> int:
    """Shared by `docmatix run` and `python pipeline/run.py`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = config_from_args(args)
    if config.api_key is None:
        config.api_key = os.environ.get("OPENAI_API_KEY")
    try:
        if running_as_ray_job():
            check_portable_paths(list(config.inputs), config.output, "a Ray job (ray job submit)")
        summary = run(config)
    except NonPortablePath as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"documents read {summary['documents_read']}, written {summary['documents_written']}, "
        f"rejected {summary['documents_rejected']}; pairs kept {summary['pairs_kept']} of "
        f"{summary['pairs_generated']}; {summary['runs'][-1]['wall_time_s']}s -> {config.output}"
    )
    if summary["documents_written"] == 0 and summary["documents_read"] > 0 and summary["documents_read"] == sum(
            summary["documents_rejected_by_reason"].get(r, 0) for r in INPUT_UNREADABLE):
        print(f"error: no input could be read ({summary['documents_rejected_by_reason']}); see "
              f"{output_url(config.output, rejects_dir('documents'))}/", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline/run.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
