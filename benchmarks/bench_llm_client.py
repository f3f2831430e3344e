"""Does the LLM client keep its endpoints saturated? Achieved request rate vs (in-flight limit / latency).

    .venv/bin/python benchmarks/bench_llm_client.py [--latency 5] [--in-flight 64] [--waves 3] [--stress-latency 0.5]

Starts local simulated OpenAI-compatible servers (tests/fake_llm_server.py) that answer every request
after a fixed delay, then sends `waves` x (endpoints x in-flight) chat requests through `LLMClient` and
prints the achieved rate next to the ideal one, for: 2 endpoints (the target, >= 0.9x), 1 endpoint
(baseline: half the slots) and a sequential client (baseline: one request at a time). A last row
repeats the 2-endpoint case at a short `--stress-latency`, where the client's own CPU time per request
(about 1-2 ms here, on 2 shared cores that also run both servers) becomes visible: every request of a
wave returns at the same instant from a fixed-latency server, so each wave waits for the whole burst
to be processed. Real vLLM answers take seconds and do not arrive in lock-step.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docmatix.pipeline.generate.llm_client import ClientSettings, LLMClient  # noqa: E402
from tests.fake_llm_server import FakeServer  # noqa: E402


async def send(urls: list[str], in_flight: int, n_requests: int) -> tuple[float, LLMClient]:
    client = LLMClient(urls, None, ClientSettings(max_in_flight=in_flight, max_attempts=1))
    async with client:
        messages = [[{"role": "user", "content": f"request {i}: wind turbines"}] for i in range(n_requests)]
        t0 = time.perf_counter()
        results = await asyncio.gather(*(client.chat(m, {"max_tokens": 16}) for m in messages))
        wall = time.perf_counter() - t0
    assert all(r.text for r in results)
    return wall, client


def measure(name: str, urls: list[str], in_flight: int, n_requests: int, latency: float) -> dict:
    wall, client = asyncio.run(send(urls, in_flight, n_requests))
    ideal = len(urls) * in_flight / latency
    return {"name": name, "endpoints": len(urls), "in_flight": in_flight, "requests": n_requests,
            "wall_s": wall, "rate": n_requests / wall, "ideal": ideal, "ratio": n_requests / wall / ideal,
            "sent": [e.sent for e in client.endpoints], "peak": [e.peak_in_flight for e in client.endpoints]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=5.0, help="server delay per request, seconds")
    parser.add_argument("--in-flight", type=int, default=64, help="per-endpoint in-flight limit")
    parser.add_argument("--waves", type=int, default=3, help="requests = waves x endpoints x in-flight")
    parser.add_argument("--stress-latency", type=float, default=0.5, help="0: skip that row")
    parser.add_argument("--sequential-requests", type=int, default=3)
    args = parser.parse_args()
    delay = ("--delay", str(args.latency))
    with FakeServer(*delay) as a, FakeServer(*delay) as b:
        n2 = args.waves * 2 * args.in_flight
        rows = [
            measure("2 endpoints", [a.base_url, b.base_url], args.in_flight, n2, args.latency),
            measure("1 endpoint (baseline)", [a.base_url], args.in_flight, n2 // 2, args.latency),
            measure("sequential (baseline)", [a.base_url], 1, args.sequential_requests, args.latency),
        ]
    if args.stress_latency:
        fast = ("--delay", str(args.stress_latency))
        with FakeServer(*fast) as a, FakeServer(*fast) as b:
            rows.append(measure(f"2 endpoints, {args.stress_latency}s", [a.base_url, b.base_url], args.in_flight,
                                4 * n2, args.stress_latency))
    print(f"simulated servers: fixed latency {args.latency}s (last row: {args.stress_latency}s); "
          "ideal rate = endpoints x in-flight / latency")
    print(f"{'client':24} {'endpoints':>9} {'in-flight':>9} {'requests':>8} {'wall s':>7} "
          f"{'req/s':>8} {'ideal':>8} {'ratio':>6}  sent per endpoint / peak in flight")
    for r in rows:
        print(f"{r['name']:24} {r['endpoints']:>9} {r['in_flight']:>9} {r['requests']:>8} {r['wall_s']:>7.2f} "
              f"{r['rate']:>8.1f} {r['ideal']:>8.1f} {r['ratio']:>6.2f}  {r['sent']} / {r['peak']}")
    target = rows[0]["ratio"]
    print(f"2 endpoints: {target:.2f}x of ideal ({'meets' if target >= 0.9 else 'BELOW'} the 0.9x target); "
          f"{rows[0]['rate'] / rows[1]['rate']:.2f}x the 1-endpoint rate, "
          f"{rows[0]['rate'] / rows[2]['rate']:.0f}x the sequential rate")


if __name__ == "__main__":
    main()
