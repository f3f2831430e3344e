"""Stage worker counts come from settings and cluster size, never from the corpus (issue 6: bounded memory)."""

from __future__ import annotations

import math

import pytest

from pipeline.on_ray.stages import READ_CPUS_PER_READER, extract_pool, read_concurrency


def test_extraction_pool_is_fixed_when_set_and_grows_with_the_cluster_otherwise():
    fixed = extract_pool(3)
    assert (fixed.min_size, fixed.max_size) == (3, 3)
    grows = extract_pool(None)
    assert grows.min_size == 1 and grows.max_size == math.inf  # bounded by the cluster's CPUs
    with pytest.raises(ValueError, match="at least 1"):
        extract_pool(0)


def test_readers_follow_the_setting_then_the_extraction_pool_then_the_cluster():
    assert read_concurrency(3, 512, cluster_cpus=2) == 3
    assert read_concurrency(None, 768, cluster_cpus=0) == 768 // READ_CPUS_PER_READER  # autoscaling cluster
    assert read_concurrency(None, 2, cluster_cpus=512) == 1
    assert read_concurrency(None, None, cluster_cpus=512) == 512 // READ_CPUS_PER_READER
    assert read_concurrency(None, None, cluster_cpus=0) == 1  # a head with no CPU: still one reader
    with pytest.raises(ValueError, match="at least 1"):
        read_concurrency(0, None, cluster_cpus=8)
