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
