"""Plan a run from a sample: measure documents, pages, OCR share and prompt sizes; project the totals."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

from docmatix.pipeline.config import RunConfig
from docmatix.pipeline.generate.prompt_templates import load_templates
from docmatix.pipeline.generate.token_count import approximate_tokens
from docmatix.pipeline.s1_read import count_documents, discover_units, iter_unit_documents
from docmatix.pipeline.s2_extract import extract_document
from docmatix.pipeline.s3_chunk import chunk_document
from docmatix.schemas.records import ExtractedDocument


@dataclass
class Estimate:
    sample_documents: int
    sample_accepted: int
    pages_per_document: float
    ocr_share: float
    chunks_per_document: float
    prompt_tokens_per_request: float
    extract_seconds_per_page: float
    total_documents: int
    total_documents_known: bool
    total_pages: float
    total_requests: float
    total_input_tokens: float
    total_output_tokens: float
    gpu_hours: float
    # --llm-mode ray-vllm: the engines' GPUs (replicas x tensor parallel) and the generation wall time
    # on them; None in endpoint mode, where the servers are not the run's to size.
    engine_gpus: int | None = None
    generation_hours: float | None = None


@dataclass
class EngineSettings:
    """The in-cluster engines (`--llm-mode ray-vllm`) the GPU-hours are projected for."""

    tensor_parallel: int = 1
    replicas: int = 1
    # Measured prompt+completion tokens/s of one replica; None: tokens/s per GPU x tensor_parallel
    # (linear scaling, an upper bound: tensor parallelism costs some throughput per GPU).
    tokens_per_second_per_replica: float | None = None

    def project(self, tokens: float, tokens_per_second_per_gpu: float) -> tuple[int, float, float]:
        """(GPUs, wall-clock hours, GPU-hours) to generate `tokens` on these engines."""
        per_replica = self.tokens_per_second_per_replica or tokens_per_second_per_gpu * self.tensor_parallel
        gpus = self.tensor_parallel * self.replicas
        hours = tokens / (per_replica * self.replicas) / 3600
        return gpus, hours, hours * gpus


def estimate(config: RunConfig, sample: int, output_tokens_per_request: int, tokens_per_second_per_gpu: float,
             total_documents: int | None = None, engines: EngineSettings | None = None) -> Estimate:
    units = discover_units(config.inputs, config.pdfs_per_unit)
    settings = config.extract.stage_settings()
    templates = load_templates(config.prompts_dir)
    template_tokens = {t.name: approximate_tokens("".join(m["content"] for m in t.messages(""))) for t in templates}
    docs = itertools.islice(
        (d for u in units for d in iter_unit_documents(u, config.max_pdf_bytes) if not isinstance(d, tuple)), sample
    )
    seen = accepted = pages = ocr_pages = chunks = 0
    prompt_tokens = 0
    extract_time = 0.0
    for doc in docs:
        seen += 1
        started = time.perf_counter()
        result = extract_document(doc, settings)
        extract_time += time.perf_counter() - started
        if not isinstance(result, ExtractedDocument):
            continue
        accepted += 1
        pages += len(result.pages)
        ocr_pages += sum(p.source == "ocr" for p in result.pages)
        for chunk in chunk_document(result, templates, config.chunk):
            chunks += 1
            prompt_tokens += chunk.n_tokens + template_tokens[chunk.template]
    counts = [count_documents(u) for u in units]
    known = total_documents is not None or all(c is not None for c in counts)
    total = total_documents if total_documents is not None else sum(c or 0 for c in counts)
    accept_rate = accepted / seen if seen else 0.0
    per_doc_pages = pages / accepted if accepted else 0.0
    per_doc_chunks = chunks / accepted if accepted else 0.0
    per_request = prompt_tokens / chunks if chunks else 0.0
    total_requests = total * accept_rate * per_doc_chunks
    input_tokens = total_requests * per_request
    output_tokens = total_requests * output_tokens_per_request
    gpu_hours = (input_tokens + output_tokens) / tokens_per_second_per_gpu / 3600
    engine_gpus = generation_hours = None
    if engines is not None:
        engine_gpus, generation_hours, gpu_hours = engines.project(input_tokens + output_tokens,
                                                                   tokens_per_second_per_gpu)
    return Estimate(
        sample_documents=seen, sample_accepted=accepted, pages_per_document=per_doc_pages,
        ocr_share=ocr_pages / pages if pages else 0.0, chunks_per_document=per_doc_chunks,
        prompt_tokens_per_request=per_request, extract_seconds_per_page=extract_time / max(pages, 1),
        total_documents=total, total_documents_known=known, total_pages=total * accept_rate * per_doc_pages,
        total_requests=total_requests, total_input_tokens=input_tokens, total_output_tokens=output_tokens,
        gpu_hours=gpu_hours, engine_gpus=engine_gpus, generation_hours=generation_hours,
    )
