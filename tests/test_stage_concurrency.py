"""Stage worker counts come from settings and cluster size, never from the corpus (issue 6: bounded memory)."""

from __future__ import annotations

import pytest

from pipeline.ray_stages import stage_concurrency
from pipeline.run import READ_CPUS_PER_READER


def test_setting_wins_over_cluster_size():
    assert stage_concurrency(3, cluster_cpus=512, cpus_per_worker=1) == 3


def test_default_scales_with_cluster_cpus():
    assert stage_concurrency(None, cluster_cpus=2, cpus_per_worker=1) == 2
    assert stage_concurrency(None, cluster_cpus=2, cpus_per_worker=READ_CPUS_PER_READER) == 1
    assert stage_concurrency(None, cluster_cpus=512, cpus_per_worker=READ_CPUS_PER_READER) == 32


def test_fractional_or_zero_cpus_still_get_one_worker():
    assert stage_concurrency(None, cluster_cpus=0.5, cpus_per_worker=1) == 1


def test_zero_setting_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        stage_concurrency(0, cluster_cpus=8, cpus_per_worker=1)
