"""Run settings grouped by the stage that reads them; each field carries its flag and help
(pipeline/settings_cli.py turns them into `docmatix run` options). The filter stage's group is
`filters/settings.py`; `pipeline/config.py` composes the groups into `RunConfig`.

To add a setting: a field here (or in FilterSettings) with `setting(default, "help")`. The flag, the
option list in docs/options.md (`python -m docmatix.pipeline.config --write`) and `summary.json`'s `config` follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from docmatix.pipeline.extract.language import parse_languages
from docmatix.pipeline.generate.repetition import LoopSettings
from docmatix.pipeline.settings_cli import setting
from docmatix.schemas.output_layout import LOCAL_REQUEST_INDEX, REQUEST_SEGMENTS

if TYPE_CHECKING:
    from docmatix.pipeline.s2_extract import ExtractSettings


@dataclass
class ReadSettings:
    """Stage 1: units of work and the documents read from them."""

    max_pdf_bytes: int = setting(64 * 1024 * 1024, "reject PDFs larger than this (pdf_too_large)")
    pdfs_per_unit: int = setting(256, "folder input: PDFs per unit of work (a unit is resumed as a whole)")


@dataclass
class ExtractConfig:
    """Stage 2: page text, OCR and rendering; `stage_settings()` is what the extraction stage takes."""

    max_pages: int = setting(4, "skip documents with more pages")
    text_source: str = setting("auto", "page text: auto (PDFA input: the JSON lines where usable, else our text "
                                       "layer), text_layer, or pdfa_json (PDFA input only)",
                               choices=["auto", "text_layer", "pdfa_json"])
    ocr: bool = setting(True, "never run Tesseract (a page whose text cannot be right keeps what it has)")
    dpi: int = setting(150, "page render resolution")
    max_image_side: int = setting(2940, "longest side of a rendered page, in pixels (Lanczos downscale)")
    image_format: str = setting("png", "rendered page encoding", choices=["png", "jpeg", "webp"])
    image_quality: int = setting(90, "jpeg/webp quality")
    grayscale: bool = setting(False, "render pages in grayscale")
    max_page_megapixels: float = setting(
        64.0, "reject documents with a page larger than this at --dpi (page_too_large)")
    max_image_megapixels: float = setting(
        256.0, "reject documents embedding an image larger than this, decoded (image_too_large)")
    extract_timeout_s: float = setting(
        60.0, "seconds per document; extraction runs in a worker process killed past it (timeout); "
              "0 extracts in-process with no deadline", flag="--extract-timeout")
    extract_memory_mb: int = setting(4096, "address-space cap of the extraction worker (out_of_memory); 0: none")
    extract_slow_after_s: float = setting(
        5.0, "seconds after which a document still extracting is set aside: its process drops to the lowest "
             "CPU priority until its deadline, and the next document starts in a spare process; 0: never",
        flag="--extract-slow-after")
    languages: list[str] = setting(
        help="keep only documents detected (offline, py3langid) as one of these ISO 639-1 languages, e.g. "
             "en,fr; the others are rejected with reason 'language'",
        default_factory=list, type=parse_languages, metavar="CODE,CODE")

    def stage_settings(self) -> ExtractSettings:
        # Imported here: parsing flags need not load the extraction stack (PyMuPDF, Tesseract bindings).
        from docmatix.pipeline.extract.limits import ExtractLimits
        from docmatix.pipeline.extract.page_render import RenderSettings
        from docmatix.pipeline.s2_extract import ExtractSettings

        render = RenderSettings(self.dpi, self.max_image_side, self.image_format, self.image_quality,
                                self.grayscale)
        limits = ExtractLimits(self.max_page_megapixels, self.max_image_megapixels, self.extract_timeout_s,
                               self.extract_memory_mb, self.extract_slow_after_s)
        return ExtractSettings(render, self.max_pages, self.text_source, self.ocr, limits)


@dataclass
class ChunkSettings:
    """Stage 3: pages -> chunks, and the template of each chunk."""

    seed: int = setting(0, "draws each chunk's template (with the document key), and is sent as the sampling "
                           "seed unless --no-send-seed")
    prompts_dir: str | None = setting(None, "folder of prompt templates (default: prompts/)")
    max_chunk_tokens: int = setting(5000, "tokens per chunk (a longer page is handled as --long-page says)")
    max_chunk_pages: int = setting(5, "pages per chunk")
    chunk_overlap_pages: int = setting(1, "pages consecutive chunks share")
    long_page: str = setting("truncate", "a page over --max-chunk-tokens: cut it to fit, or reject its document "
                                         "(page_too_long, as the reference)", choices=["truncate", "skip_document"])
    token_count: str = setting("server", "chunk token counts from the endpoint's /tokenize (falls back to ~4 "
                                         "chars/token) or the approximation only", choices=["server", "approx"])


@dataclass
class LLMSettings:
    """Stage 4: where the prompts go and how they are sampled."""

    endpoints: list[str] = setting(
        help="OpenAI-compatible base URL, e.g. http://host:8000/v1 (repeatable); omitted: start the embedded "
             "llama.cpp server on 127.0.0.1", default_factory=list, flag="--endpoint", action="append")
    model: str | None = setting(None, "served model name (default: the first one the server lists)")
    api_key: str | None = setting(None, "API key (or OPENAI_API_KEY); never written to the output")
    answer_format: str = setting("qa", "qa: 'Q1:/A1:' text; json: a response_format json_schema",
                                 choices=["qa", "json"])
    max_in_flight: int = setting(64, "concurrent requests per endpoint")
    temperature: float | None = setting(0.0, "sampling temperature (the docmatix profile sends none)")
    top_p: float | None = setting(1.0, "nucleus sampling top_p (the docmatix profile sends none)")
    send_seed: bool = setting(True, "do not send --seed as the sampling seed (the reference sends none)")
    # LLM judge (pipeline/generate/judge.py): rates kept pairs 1-5; same endpoints and model unless given
    judge: bool = setting(False, "rate each kept pair 1-5 (answerable, correct, needs the page) with an LLM judge "
                                 "in JSON mode; scores go to the pair_judge metadata column")
    judge_endpoints: list[str] = setting(
        help="OpenAI-compatible base URL for the judge (repeatable; default: the generation endpoints)",
        default_factory=list, flag="--judge-endpoint", action="append", metavar="URL")
    judge_model: str | None = setting(None, "judge model (default: the generation model)", metavar="NAME")
    max_tokens: int = setting(2000, "completion tokens per request")
    # Sent only when set (vLLM and llama.cpp accept these OpenAI names): None keeps the request keys, and
    # so the request cache, as they were.
    frequency_penalty: float | None = setting(
        None, "sent to the server when given (vLLM and llama.cpp): discourages repeated tokens")
    presence_penalty: float | None = setting(None, "sent to the server when given")
    # Loop control (pipeline/generate/repetition.py): cut a completion where it repeats itself, and with
    # cancel_loops stream it and cancel the request there instead of paying up to max_tokens.
    loop_repeats: int = setting(3, "a question line repeated this often (any line: twice that) is a loop; 0: off")
    max_pairs_per_page: int = setting(
        12, "cut a chunk's answer after this many pairs per page (prompts ask ~4); 0: no cap")
    cancel_loops: bool = setting(True, "do not stream answers to cancel looping ones (they are still cut when "
                                       "parsed)", flag="--no-loop-cancel")
    request_timeout_s: float = setting(600.0, "seconds per request attempt", flag="--request-timeout")
    max_attempts: int = setting(4, "attempts per request (retried on another endpoint with backoff)")
    endpoint_wait_s: float = setting(
        600.0, "seconds to wait at start for an endpoint to answer /models; past it the run stops with "
               "nothing committed (exit status 3), for a rerun", flag="--endpoint-wait")
    embedded_parallel: int = setting(4, "embedded llama.cpp server: requests decoded at once")
    embedded_prompt_cache: bool = setting(
        True, "reproducible greedy answers (with --embedded-parallel 1), at some speed cost")
    embedded_ctx: int = setting(8192, "embedded llama.cpp server: context tokens per request slot")
    use_request_cache: bool = setting(True, f"neither read nor fill the request cache (this node's index, "
                                            f"{LOCAL_REQUEST_INDEX} for a local output, and the answers shared in "
                                            f"{REQUEST_SEGMENTS}/): every request is sent",
                                      flag="--no-request-cache")
    # In-cluster generation (pipeline/on_ray/vllm_engines.py): ray.data.llm with vLLM engines on the cluster's GPUs
    llm_mode: str = setting("endpoint", "endpoint: HTTP endpoints (or the embedded server); ray-vllm: vLLM "
                                        "engines inside the Ray cluster via ray.data.llm (GPU cluster; --model "
                                        "is a HF id or local path)", choices=["endpoint", "ray-vllm"])
    vllm_tensor_parallel: int = setting(1, "ray-vllm: GPUs per engine replica")
    vllm_replicas: int = setting(1, "ray-vllm: engine replicas")
    vllm_batch_size: int = setting(64, "ray-vllm: rows per batch sent to an engine")
    vllm_max_model_len: int = setting(8192, "ray-vllm: context length of each engine")
    vllm_device: str = setting("gpu", "ray-vllm: GPU engines, or vLLM's CPU build (eager, float32; a replica per "
                                      "--vllm-cpus cores)", choices=["gpu", "cpu"])
    vllm_cpus: float = setting(1.0, "ray-vllm on cpu: Ray CPUs reserved per engine replica")

    def sampling(self, seed: int) -> dict:
        """The sampling fields each request carries; unset ones are not sent (the server's defaults)."""
        values = {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens,
                  "seed": seed if self.send_seed else None,
                  "frequency_penalty": self.frequency_penalty, "presence_penalty": self.presence_penalty}
        return {k: v for k, v in values.items() if v is not None}

    def loop_settings(self) -> LoopSettings | None:
        if not self.loop_repeats and not self.max_pairs_per_page:
            return None
        return LoopSettings(loop_repeats=self.loop_repeats, max_pairs_per_page=self.max_pairs_per_page)


@dataclass
class WriteSettings:
    """Stage 6: output shards."""

    rows_per_shard: int = setting(2000, "start a new output shard after this many rows")
    bytes_per_shard: int | None = setting(
        None, "start a new output shard before it holds this many image bytes (e.g. 500000000)")


@dataclass
class ExecutionSettings:
    """How many processes run the stages, and what the terminal shows."""

    extract_concurrency: int | None = setting(
        None, "extraction actors, each a CPU (default: as many as the cluster's CPUs allow)")
    read_concurrency: int | None = setting(
        None, "input shards read at once (default: one per 16 extraction actors, or per 16 cluster CPUs at "
              "start; set it on an autoscaling cluster)")
    generate_actors: int | None = setting(
        None, "generation actors sharing the endpoints' slots (default: one per 256 endpoint slots, so one on "
              "a single machine; more for many endpoints)")
    progress: bool = setting(True, "hide the progress bar")
    verbose: bool = setting(False, "show Ray's INFO lines and warnings (always in Ray's log folder, "
                                   "/tmp/ray/session_latest)")
    object_store_memory: int | None = setting(
        None, "bytes of Ray object store when Ray is started locally (default: Ray's, 30 percent of RAM)")
