"""Ray Data's own cost for the run's shape: the same operators, blocks and settings as pipeline/run.py,
stages that do nothing. Run by benchmarks/bench_extract_parallel.py next to the real pipeline.

    .venv/bin/python benchmarks/ray_floor_pipeline.py N WORKERS

A reader yields N one-document blocks (a 30 KB stand-in PDF each); an actor pool of WORKERS "extracts"
each one (a 100 KB stand-in image, no work); one generation actor and the write tasks pass batches of 16
through; the driver reads one small row per batch. What it costs in CPU is the floor under every
document the real pipeline handles, whatever the stages do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docmatix.pipeline.on_ray.extract_stage import extract_pool  # noqa: E402
from docmatix.pipeline.on_ray.rows import DOCUMENTS_PER_BATCH  # noqa: E402
from docmatix.pipeline.run import configure_data_context  # noqa: E402
from docmatix.pipeline.settings import ExtractConfig  # noqa: E402

SCHEMA = pa.schema([("unit_id", pa.string()), ("seq", pa.int64()), ("images", pa.list_(pa.binary())),
                    ("record", pa.binary())])
PDF_BYTES, IMAGE_BYTES = 30_000, 100_000


def read_documents(batch: pa.Table, n: int):
    for seq in range(n):
        yield pa.Table.from_pylist([{"unit_id": "u", "seq": seq, "images": [], "record": b"%" * PDF_BYTES}],
                                   schema=SCHEMA)


class ExtractNothing:
    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        for row in rows:
            row["images"], row["record"] = [b"\x89" * IMAGE_BYTES], b"t" * 2000
        return pa.Table.from_pylist(rows, schema=SCHEMA)


class GenerateNothing:
    def __call__(self, batch: pa.Table) -> pa.Table:
        return batch


def write_nothing(batch: pa.Table) -> pa.Table:
    return pa.table({"documents": [batch.num_rows]})


def main() -> None:
    import ray
    from ray.data import ActorPoolStrategy, DataContext, TaskPoolStrategy

    n, workers = int(sys.argv[1]), int(sys.argv[2])
    ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    configure_data_context(DataContext.get_current())
    ds = ray.data.from_arrow([pa.table({"unit": [0]})])
    ds = ds.map_batches(read_documents, fn_kwargs={"n": n}, batch_size=1, batch_format="pyarrow", num_cpus=0,
                        compute=TaskPoolStrategy(size=1))
    ds = ds.map_batches(ExtractNothing, batch_size=1, batch_format="pyarrow",
                        compute=extract_pool(workers, ExtractConfig().stage_settings()))  # the run's pool
    ds = ds.map_batches(GenerateNothing, batch_size=DOCUMENTS_PER_BATCH, num_cpus=0, batch_format="pyarrow",
                        compute=ActorPoolStrategy(size=1, max_concurrent_calls_per_actor=4,
                                                  enable_true_multi_threading=True))
    ds = ds.map_batches(write_nothing, batch_size=DOCUMENTS_PER_BATCH, batch_format="pyarrow", num_cpus=0,
                        compute=TaskPoolStrategy(size=1))
    documents = sum(row["documents"] for row in ds.iter_rows())
    if documents != n:
        raise SystemExit(f"{documents} of {n} documents came through")


if __name__ == "__main__":
    main()
