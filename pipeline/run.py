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
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path

# `python pipeline/run.py` (the `ray job submit` entry point) puts pipeline/ first on sys.path, not the
# folder holding the `docmatix` package: the checkout's root, or site-packages for an installed wheel.
_STAGES_PARENT = Path(__file__).resolve().parent.parent
_PACKAGE_PARENT = _STAGES_PARENT if (_STAGES_PARENT / "docmatix" / "__init__.py").is_file() else _STAGES_PARENT.parent
if str(_PACKAGE_PARENT) not in sys.path:
    sys.path.insert(0, str(_PACKAGE_PARENT))

from docmatix import PACKAGE_PARENT  # noqa: E402
from docmatix.pipeline.cluster_paths import NonPortablePath, check_portable_paths, running_as_ray_job  # noqa: E402
from docmatix.pipeline.config import RunConfig, add_run_arguments, config_from_args  # noqa: E402
from docmatix.pipeline.endpoint_check import EndpointsUnavailable, wait_for_endpoints  # noqa: E402
from docmatix.pipeline.generate.llm_embedded import EmbeddedServer  # noqa: E402
from docmatix.pipeline.generate.prompt_templates import load_templates  # noqa: E402
from docmatix.pipeline.on_ray.engine_resources import EnginesCannotStart  # noqa: E402
from docmatix.pipeline.on_ray.rows import DOCUMENTS_PER_BATCH, rows_to_table, to_row  # noqa: E402
from docmatix.pipeline.on_ray.unit_commit import ShardLimits, UnitTracker, commit_unit  # noqa: E402
from docmatix.pipeline.on_ray.unit_parts import write_parts  # noqa: E402
from docmatix.pipeline.run_interrupt import Interrupted, catch_stop_signals, interrupted_message  # noqa: E402
from docmatix.pipeline.run_progress import RequestProgress  # noqa: E402
from docmatix.pipeline.run_summary import build_summary, run_timings, write_json  # noqa: E402
from docmatix.pipeline.s1_read import count_documents, discover_units  # noqa: E402
from docmatix.pipeline.s6_write import read_done_markers, remove_partial_unit  # noqa: E402
from docmatix.schemas.output_layout import MANIFEST, SUMMARY, output_url, rejects_dir  # noqa: E402
from docmatix.schemas.reject_reasons import INPUT_UNREADABLE  # noqa: E402

log = logging.getLogger("docmatix")
logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request drowns the progress bar
logging.getLogger("pikepdf").setLevel(logging.WARNING)  # an INFO line when imported (pipeline/extract/pdf_open.py)


BLOCKS_AHEAD_PER_TASK = 32  # see configure_data_context()


def configure_data_context(ctx) -> None:
    """How Ray Data runs this pipeline (`ctx`: a ray.data.DataContext)."""
    ctx.execution_options.preserve_order = False  # units are complete when counted, not when their end arrives
    ctx.enable_progress_bars = False
    # Every document its own block (read_unit yields one table per document): a block of many small PDFs
    # would go to one extraction actor while the others idle.
    ctx.target_max_block_size = 1
    # A task yielding blocks (a reader: one per document) pauses when this many are not yet taken, and
    # Ray Data's executor takes them about every 0.1 s: Ray's default of 2 held a reader to ~17 documents
    # a second whatever the extraction pool (benchmarks/bench_extract_parallel.py). 32 lets a reader keep
    # ~16 extraction actors fed while holding at most 32 PDFs ahead (spilled past the object store cap).
    if hasattr(ctx, "_max_num_blocks_in_streaming_gen_buffer"):  # private in Ray 2.60 (the locked version)
        ctx._max_num_blocks_in_streaming_gen_buffer = BLOCKS_AHEAD_PER_TASK


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
        ray.init(address="local", runtime_env={"env_vars": {"PYTHONPATH": str(PACKAGE_PARENT)}}, log_to_driver=False,
                 include_dashboard=False, object_store_memory=config.object_store_memory, logging_level=level)
    for name in ("ray", "ray.data"):  # Ray Data configures its own logger ("ray.data") at import
        logging.getLogger(name).setLevel(level)


def _progress(total: int | None, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", desc="documents", disable=not enabled, dynamic_ncols=True)


def execute(config: RunConfig, endpoints: list[str], model: str | None) -> int:
    """Run every pending unit through the Ray Data pipeline; returns how many were pending.

    The driver builds the pipeline and adds up what the write stage reports (small rows: unit, part file,
    documents); Ray workers extract, generate, filter and write, and commit tasks move complete units
    into place. No image byte and no global order reaches the driver."""
    import ray
    from ray.data import ActorPoolStrategy, DataContext, TaskPoolStrategy

    from docmatix.pipeline.on_ray.extract_stage import ExtractPages, extract_pool
    from docmatix.pipeline.on_ray.generate_stage import (
        GenerateAndFilter,
        cache_path,
        generate_actors,
        generate_concurrency,
        shared_cache,
    )
    from docmatix.pipeline.on_ray.read_stage import read_concurrency, read_unit

    units = discover_units(config.inputs, config.pdfs_per_unit)
    done = read_done_markers(config.output)
    pending = [u for u in units if u.unit_id not in done]
    for unit in pending:
        remove_partial_unit(config.output, unit.unit_id)
    if not pending:
        return 0
    if config.llm_mode == "endpoint":  # before any work: an endpoint that is down must cost nothing
        wait_for_endpoints(endpoints, config.api_key, config.endpoint_wait_s)  # the rest join later
        if config.judge and config.judge_endpoints:
            wait_for_endpoints(list(config.judge_endpoints), config.api_key, config.endpoint_wait_s, what="judge")
    _init_ray(config)
    catch_stop_signals()  # again: Ray's core worker installed its own SIGTERM handler
    if config.llm_mode == "ray-vllm":
        _check_engine_resources(config)
    if sum(1 for node in ray.nodes() if node["Alive"]) > 1:
        check_portable_paths(list(config.inputs), config.output, "a multi-node Ray cluster")
    configure_data_context(DataContext.get_current())
    counts = [count_documents(u) for u in pending]
    total = None if any(c is None for c in counts) else sum(counts)

    ds = ray.data.from_arrow([rows_to_table([to_row(u.unit_id, 0, u)]) for u in pending])
    # Reading is I/O, so it reserves no CPU (the extraction pool may hold them all) and is a separate
    # operator so documents of one shard are extracted in parallel. The number of readers and of
    # extraction actors (each with one isolated child) is set by settings and the cluster, never by
    # the corpus: that, the generation actor's in-flight limit and the object store bound memory.
    cpus = ray.cluster_resources().get("CPU", 1)
    readers = read_concurrency(config.read_concurrency, config.extract_concurrency, cpus)
    ds = ds.map_batches(read_unit, fn_kwargs={"max_pdf_bytes": config.max_pdf_bytes}, batch_size=1,
                        batch_format="pyarrow", num_cpus=0, compute=TaskPoolStrategy(size=readers))
    extract_settings = config.extract.stage_settings()
    ds = ds.map_batches(ExtractPages, fn_constructor_args=(extract_settings, tuple(config.languages)),
                        batch_size=1, batch_format="pyarrow",
                        compute=extract_pool(config.extract_concurrency, extract_settings))
    if config.llm_mode == "ray-vllm":  # vLLM engines inside the cluster (pipeline/on_ray/vllm_engines.py)
        from docmatix.pipeline.on_ray import vllm_engines

        ds = vllm_engines.apply(ds, config)
    else:
        # A fixed pool sharing the endpoints' slots (one actor on one machine); many batches at once per
        # actor keep its share of the slots busy while the next batch is chunked.
        actors = generate_actors(config.generate_actors, len(endpoints), config.max_in_flight)
        calls = generate_concurrency(config, len(endpoints), DOCUMENTS_PER_BATCH, actors)
        ds = ds.map_batches(GenerateAndFilter, fn_constructor_args=(config, endpoints, model, actors),
                            batch_size=DOCUMENTS_PER_BATCH, num_cpus=0, batch_format="pyarrow",
                            compute=ActorPoolStrategy(size=actors, enable_true_multi_threading=True,
                                                      max_concurrent_calls_per_actor=calls))
    run_id = uuid.uuid4().hex[:8]
    # Workers write each batch's rows into the unit's parts; only a row per part comes back here.
    ds = ds.map_batches(write_parts, fn_kwargs={"output": config.output, "run_id": run_id},
                        batch_size=DOCUMENTS_PER_BATCH, batch_format="pyarrow", num_cpus=0,
                        compute=TaskPoolStrategy(size=readers))
    limits = ShardLimits(config.rows_per_shard, config.bytes_per_shard)
    commit_task = ray.remote(num_cpus=0)(commit_unit)
    cache = shared_cache(config) if config.use_request_cache else None
    tracker = UnitTracker(
        commit=lambda unit_id, parts: commit_task.remote(config.output, unit_id, run_id, parts, limits, cache),
        wait=_ray_wait, max_pending=max(2, readers))
    with _progress(total, config.progress) as bar, RequestProgress(cache_path(config), bar):
        for part in ds.iter_rows():
            tracker.add(part["unit_id"], part["part"], part["documents"], part["unit_documents"])
            tracker.collect()
            bar.update(part["documents"])
        tracker.finish()
    return len(pending)


def _check_engine_resources(config: RunConfig) -> None:
    """Refuse at once, with the numbers, engines a local Ray instance cannot hold (nothing will add the
    GPUs: the run would wait forever); on a cluster, say what it waits for (an autoscaler may add it)."""
    import ray

    from docmatix.pipeline.on_ray.engine_resources import engine_shortfall

    shortfall = engine_shortfall(config, [n["Resources"] for n in ray.nodes() if n["Alive"]])
    if shortfall is None:
        return
    if not os.environ.get("RAY_ADDRESS"):
        hint = "; on a machine without a GPU add --vllm-device cpu" if config.vllm_device == "gpu" else ""
        raise EnginesCannotStart(f"{shortfall}, and a local Ray instance has no autoscaler to add them{hint}")
    print(f"waiting: {shortfall}; the engines start when the cluster's autoscaler adds them "
          f"(without one, this waits forever: stop with Ctrl-C)", file=sys.stderr, flush=True)


def _ray_wait(handles: list, timeout: float | None) -> tuple[list, list]:
    import ray

    ready, rest = ray.wait(handles, num_returns=1 if timeout is None else len(handles), timeout=timeout)
    return [(h, ray.get(h)) for h in ready], rest


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
    catch_stop_signals()
    try:
        if running_as_ray_job():
            check_portable_paths(list(config.inputs), config.output, "a Ray job (ray job submit)")
        summary = run(config)
    except NonPortablePath as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EndpointsUnavailable as exc:
        print(f"error: {exc}\nnothing was committed; the same command resumes once an endpoint answers",
              file=sys.stderr)
        return 3
    except EnginesCannotStart as exc:
        print(f"error: {exc}\nnothing was committed", file=sys.stderr)
        return 3
    except Interrupted as stop:
        units = discover_units(config.inputs, config.pdfs_per_unit)
        committed = len(read_done_markers(config.output)) if units else 0
        print(interrupted_message(str(stop), committed, len(units)), file=sys.stderr, flush=True)
        return stop.exit_status
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
