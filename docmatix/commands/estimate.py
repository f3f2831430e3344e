"""`docmatix estimate INPUT --sample N`: project pages, requests, tokens and GPU-hours of a run."""

from __future__ import annotations

import argparse

from docmatix.pipeline.settings import ExtractConfig, LLMSettings
from docmatix.pipeline.settings_cli import add_setting_arguments


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("estimate", help="measure a sample of the input and project the cost of a run")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--sample", type=int, default=50, help="documents to measure")
    p.add_argument("--total-documents", type=int, default=None,
                   help="documents in the whole corpus (default: counted from local shards; PDFA has 2,159,432)")
    p.add_argument("--output-tokens-per-request", type=int, default=700,
                   help="expected completion length (the reference asked ~4 pairs per page)")
    p.add_argument("--tokens-per-second-per-gpu", type=float, default=2500.0,
                   help="prompt+completion tokens/s one GPU sustains with your model and vLLM")
    # The extraction settings the estimate measures with, and the in-cluster engines' settings, as
    # `docmatix run` has them.
    add_setting_arguments(p, ExtractConfig, only=("max_pages", "ocr"))
    add_setting_arguments(p, LLMSettings, only=("llm_mode", "vllm_tensor_parallel", "vllm_replicas"))
    p.add_argument("--tokens-per-second-per-replica", type=float, default=None,
                   help="ray-vllm: measured tokens/s of one replica (default: per GPU x tensor parallel)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from docmatix.pipeline.config import RunConfig
    from docmatix.run_estimate import EngineSettings, estimate

    config = RunConfig(inputs=args.inputs, output="", max_pages=args.max_pages, ocr=args.ocr)
    engines = None
    if args.llm_mode == "ray-vllm":
        engines = EngineSettings(args.vllm_tensor_parallel, args.vllm_replicas, args.tokens_per_second_per_replica)
    e = estimate(config, args.sample, args.output_tokens_per_request, args.tokens_per_second_per_gpu,
                 args.total_documents, engines)
    table = Table(title=f"Estimate from {e.sample_documents} sampled documents ({e.sample_accepted} accepted)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("pages per accepted document", f"{e.pages_per_document:.2f}"),
        ("OCR share of pages", f"{e.ocr_share:.1%}"),
        ("chunks (requests) per accepted document", f"{e.chunks_per_document:.2f}"),
        ("prompt tokens per request (approx.)", f"{e.prompt_tokens_per_request:,.0f}"),
        ("extraction seconds per page (1 core)", f"{e.extract_seconds_per_page:.3f}"),
        ("documents in corpus" + ("" if e.total_documents_known else " (unknown: pass --total-documents)"),
         f"{e.total_documents:,}"),
        ("projected pages", f"{e.total_pages:,.0f}"),
        ("projected requests", f"{e.total_requests:,.0f}"),
        ("projected input tokens", f"{e.total_input_tokens:,.0f}"),
        ("projected output tokens", f"{e.total_output_tokens:,.0f}"),
        ("projected extraction core-hours", f"{e.total_pages * e.extract_seconds_per_page / 3600:,.1f}"),
    ]
    if engines is None:
        rows.append((f"projected GPU-hours at {args.tokens_per_second_per_gpu:,.0f} tok/s/GPU", f"{e.gpu_hours:,.1f}"))
    else:
        rate = engines.tokens_per_second_per_replica or args.tokens_per_second_per_gpu * engines.tensor_parallel
        rows += [
            (f"ray-vllm engines: {engines.replicas} replica(s) x {engines.tensor_parallel} GPU(s)", f"{e.engine_gpus}"),
            (f"projected generation hours at {rate:,.0f} tok/s/replica", f"{e.generation_hours:,.1f}"),
            ("projected GPU-hours (engines' GPUs x hours)", f"{e.gpu_hours:,.1f}"),
        ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)
    return 0
