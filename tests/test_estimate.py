from docmatix.pipeline.config import RunConfig
from docmatix.run_estimate import EngineSettings, estimate


def test_estimate_projects_from_a_sample(e2e_shard):
    config = RunConfig(inputs=[str(e2e_shard)], output="")
    e = estimate(config, sample=5, output_tokens_per_request=500, tokens_per_second_per_gpu=1000)
    # 5 documents: encrypted and 6-page ones are rejected, three are accepted (1 + 4 + 1 pages).
    assert e.sample_documents == 5 and e.sample_accepted == 3
    assert abs(e.pages_per_document - 2.0) < 1e-9
    assert e.total_documents == 5 and e.total_documents_known
    assert abs(e.total_pages - 6) < 1e-9
    assert e.total_requests >= 3
    assert e.total_output_tokens == e.total_requests * 500
    assert abs(e.gpu_hours - (e.total_input_tokens + e.total_output_tokens) / 1000 / 3600) < 1e-9


def test_estimate_scales_a_sample_to_total_documents(e2e_shard, capsys):
    config = RunConfig(inputs=[str(e2e_shard)], output="")
    # A sample of 3 of the shard's 5 documents (one page, encrypted, four pages: 2 of 3 accepted).
    measured = estimate(config, sample=3, output_tokens_per_request=500, tokens_per_second_per_gpu=1000)
    assert measured.sample_documents == 3 and measured.sample_accepted == 2 and measured.total_documents == 5
    n = 2_159_432
    e = estimate(config, sample=3, output_tokens_per_request=500, tokens_per_second_per_gpu=1000, total_documents=n)
    assert e.total_documents == n and e.total_documents_known
    # Per accepted document: 2.5 pages; 2 of 3 documents accepted.
    assert abs(e.total_pages - n * 2 / 3 * 2.5) < 1e-3
    for field in ("total_pages", "total_requests", "total_input_tokens", "total_output_tokens", "gpu_hours"):
        assert abs(getattr(e, field) / getattr(measured, field) - n / 5) < 1e-6, field

    from docmatix.cli import main as cli_main

    assert cli_main(["estimate", str(e2e_shard), "--sample", "3", "--total-documents", str(n)]) == 0
    printed = capsys.readouterr().out
    assert f"{n:,}" in printed and f"{e.total_pages:,.0f}" in printed


def test_estimate_for_in_cluster_engines(e2e_shard, capsys):
    config = RunConfig(inputs=[str(e2e_shard)], output="")
    endpoint = estimate(config, sample=5, output_tokens_per_request=500, tokens_per_second_per_gpu=1000)
    assert endpoint.engine_gpus is None and endpoint.generation_hours is None
    tokens = endpoint.total_input_tokens + endpoint.total_output_tokens
    # 2 replicas of tensor parallel 4 at a measured 2,000 tok/s each: 8 GPUs for tokens/4000 s.
    e = estimate(config, sample=5, output_tokens_per_request=500, tokens_per_second_per_gpu=1000,
                 engines=EngineSettings(tensor_parallel=4, replicas=2, tokens_per_second_per_replica=2000))
    assert e.engine_gpus == 8
    assert abs(e.generation_hours - tokens / 4000 / 3600) < 1e-9
    assert abs(e.gpu_hours - 8 * tokens / 4000 / 3600) < 1e-9  # twice the GPU-hours of linear scaling
    # Unmeasured: per GPU x tensor parallel, the same GPU-hours as endpoint mode.
    linear = estimate(config, sample=5, output_tokens_per_request=500, tokens_per_second_per_gpu=1000,
                      engines=EngineSettings(tensor_parallel=4, replicas=2))
    assert abs(linear.gpu_hours - endpoint.gpu_hours) < 1e-9

    from docmatix.cli import main as cli_main

    assert cli_main(["estimate", str(e2e_shard), "--sample", "5", "--llm-mode", "ray-vllm",
                     "--vllm-tensor-parallel", "4", "--vllm-replicas", "2",
                     "--tokens-per-second-per-replica", "2000"]) == 0
    printed = capsys.readouterr().out
    assert "2 replica(s) x 4 GPU(s)" in printed and f"{e.gpu_hours:,.1f}" in printed
