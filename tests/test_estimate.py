from docmatix.run_estimate import estimate
from pipeline.config import RunConfig


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
