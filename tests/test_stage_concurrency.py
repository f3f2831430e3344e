"""Stage worker counts come from settings and cluster size, never from the corpus (bounded memory)."""

from __future__ import annotations

import math

import pytest

from docmatix.pipeline.extract.isolation import SPARE_CHILDREN
from docmatix.pipeline.on_ray.extract_stage import extract_pool
from docmatix.pipeline.on_ray.read_stage import READ_CPUS_PER_READER, read_concurrency
from docmatix.pipeline.settings import ExtractConfig


def test_extraction_pool_is_fixed_when_set_and_grows_with_the_cluster_otherwise():
    settings = ExtractConfig().stage_settings()
    fixed = extract_pool(3, settings)
    assert (fixed.min_size, fixed.max_size) == (3, 3)
    grows = extract_pool(None, settings)
    assert grows.min_size == 1 and grows.max_size == math.inf  # bounded by the cluster's CPUs
    with pytest.raises(ValueError, match="at least 1"):
        extract_pool(0, settings)


def test_extraction_actors_take_a_spare_document_only_when_one_can_be_set_aside():
    isolated = extract_pool(2, ExtractConfig().stage_settings())
    assert isolated.max_concurrent_calls_per_actor == 1 + SPARE_CHILDREN and isolated.enable_true_multi_threading
    for never in (ExtractConfig(extract_timeout_s=0), ExtractConfig(extract_slow_after_s=0),
                  ExtractConfig(extract_timeout_s=5, extract_slow_after_s=5)):  # nothing to run on to
        assert extract_pool(2, never.stage_settings()).max_concurrent_calls_per_actor in (None, 1)  # Ray: 1


def test_readers_follow_the_setting_then_the_extraction_pool_then_the_cluster():
    assert read_concurrency(3, 512, cluster_cpus=2) == 3
    assert read_concurrency(None, 768, cluster_cpus=0) == 768 // READ_CPUS_PER_READER  # autoscaling cluster
    assert read_concurrency(None, 2, cluster_cpus=512) == 1
    assert read_concurrency(None, None, cluster_cpus=512) == 512 // READ_CPUS_PER_READER
    assert read_concurrency(None, None, cluster_cpus=0) == 1  # a head with no CPU: still one reader
    with pytest.raises(ValueError, match="at least 1"):
        read_concurrency(0, None, cluster_cpus=8)


def test_the_data_context_spreads_documents_and_lets_a_reader_run_ahead():
    """pipeline/run.py's Ray Data settings, on a fresh context. The read-ahead is a private DataContext
    field in the locked Ray: if an upgrade renames it, readers fall back to ~17 documents a second."""
    from ray.data import DataContext

    from docmatix.pipeline.run import BLOCKS_AHEAD_PER_TASK, configure_data_context

    ctx = DataContext()
    configure_data_context(ctx)
    assert ctx.execution_options.preserve_order is False and ctx.target_max_block_size == 1
    assert ctx._max_num_blocks_in_streaming_gen_buffer == BLOCKS_AHEAD_PER_TASK >= READ_CPUS_PER_READER
