"""What the in-cluster vLLM engines (`--llm-mode ray-vllm`) ask of the cluster, and whether its nodes have
it: the driver checks before any work, so a cluster without the GPUs is refused with the numbers rather
than waited on in silence. Light on purpose: the driver imports it without vLLM or the pipeline stages."""

from __future__ import annotations

from typing import Any

from docmatix.pipeline.config import RunConfig


def placement(config: RunConfig) -> dict[str, Any]:
    """Resources of one engine replica: `tensor_parallel` GPU bundles on one node (STRICT_PACK: a
    tensor-parallel group never spans nodes), or on CPU one bundle of `vllm_cpus` cores."""
    if config.vllm_device == "cpu":
        if config.vllm_tensor_parallel != 1:
            raise ValueError("--vllm-device cpu runs one engine process per replica: --vllm-tensor-parallel 1")
        return {"bundles": [{"CPU": config.vllm_cpus}]}
    return {"bundles": [{"GPU": 1, "CPU": 1}] * config.vllm_tensor_parallel, "strategy": "STRICT_PACK"}


class EnginesCannotStart(RuntimeError):
    """The cluster cannot hold the engine replicas asked for, and nothing can add what is missing."""


def engine_shortfall(config: RunConfig, node_resources: list[dict[str, float]]) -> str | None:
    """What the engines need that the cluster's nodes (their total resources) do not have, in numbers;
    None when every replica fits. A GPU replica's bundles must fit on one node (STRICT_PACK)."""
    bundles = placement(config)["bundles"]
    kind = "CPU" if config.vllm_device == "cpu" else "GPU"
    per_replica = sum(b.get(kind, 0) for b in bundles)
    need = config.vllm_replicas * per_replica
    have = sum(n.get(kind, 0) for n in node_resources)
    how = (f"{config.vllm_replicas} replica(s) x {per_replica:g} {kind}" if kind == "CPU" else
           f"{config.vllm_replicas} replica(s) x {config.vllm_tensor_parallel} tensor-parallel GPU(s)")
    if have < need:
        return f"--llm-mode ray-vllm needs {need:g} {kind}s ({how}); the Ray cluster has {have:g}"
    if kind == "GPU":
        fits = sum(int(n.get("GPU", 0) // per_replica) for n in node_resources)
        if fits < config.vllm_replicas:
            return (f"--llm-mode ray-vllm needs {config.vllm_replicas} node(s) with {per_replica:g} GPUs each "
                    f"(a replica's GPUs are one node's); the Ray cluster's nodes hold {fits} such replica(s)")
    return None
