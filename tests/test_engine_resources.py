"""What the in-cluster engines ask of the cluster, checked against its nodes before any work, in numbers."""

from __future__ import annotations

from docmatix.pipeline.config import RunConfig
from docmatix.pipeline.on_ray.engine_resources import engine_shortfall


def config(**kw) -> RunConfig:
    return RunConfig(["in.tar"], "out", llm_mode="ray-vllm", model="m", **kw)


def test_a_cluster_without_gpus_is_short_by_the_replicas_gpus():
    short = engine_shortfall(config(vllm_replicas=2, vllm_tensor_parallel=2), [{"CPU": 16.0}])
    assert short == ("--llm-mode ray-vllm needs 4 GPUs (2 replica(s) x 2 tensor-parallel GPU(s)); "
                     "the Ray cluster has 0")


def test_enough_gpus_on_one_node_each_fit_and_scattered_ones_do_not():
    assert engine_shortfall(config(vllm_replicas=2, vllm_tensor_parallel=2), [{"GPU": 4.0}]) is None
    scattered = engine_shortfall(config(vllm_replicas=2, vllm_tensor_parallel=2), [{"GPU": 1.0}] * 4)
    assert scattered is not None and "2 node(s) with 2 GPUs each" in scattered and "hold 0" in scattered


def test_cpu_engines_count_cpus():
    assert engine_shortfall(config(vllm_device="cpu", vllm_cpus=0.5), [{"CPU": 2.0}]) is None
    short = engine_shortfall(config(vllm_device="cpu", vllm_cpus=2.0, vllm_replicas=3), [{"CPU": 2.0}])
    assert short == "--llm-mode ray-vllm needs 6 CPUs (3 replica(s) x 2 CPU); the Ray cluster has 2"
