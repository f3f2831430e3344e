"""The driver's start-up check of the LLM endpoints: each is asked for `/models` before any work starts.

One that refuses or times out is named on the terminal at once with its error; the run goes on as soon
as one endpoint answers (the others join the generation actors' pool when they do, as before) and waits
for one only up to `--endpoint-wait`. Past it the run stops before anything is extracted or committed,
so the rerun does all the work: an endpoint that is down is never a reason to reject a document."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import httpx

PROBE_TIMEOUT_S = 5.0
POLL_S = 2.0


class EndpointsUnavailable(RuntimeError):
    """No endpoint of a list answered within the wait."""


def probe(base_url: str, api_key: str | None, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """None when `base_url` lists its models, else what went wrong, as a user can act on it."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        resp = httpx.get(f"{base_url.rstrip('/')}/models", headers=headers, timeout=timeout_s)
    except httpx.TimeoutException:
        return f"no answer within {timeout_s:.0f} s"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if resp.status_code != 200:
        return f"HTTP {resp.status_code} on /models: {resp.text[:200]}"
    return None


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def wait_for_endpoints(endpoints: list[str], api_key: str | None, wait_s: float, what: str = "LLM",
                       say: Callable[[str], None] = _stderr, poll_s: float = POLL_S,
                       check: Callable[[str, str | None], str | None] = probe) -> list[str]:
    """The endpoints that answer, once at least one does; raises EndpointsUnavailable after `wait_s`."""
    start = time.monotonic()
    reported: dict[str, str] = {}
    waiting_said = False
    while True:
        errors = {url: check(url, api_key) for url in endpoints}
        for url, error in errors.items():
            if error is not None and reported.get(url) != error:
                say(f"{what} endpoint {url} is not answering: {error}")
                reported[url] = error
            elif error is None and url in reported:
                say(f"{what} endpoint {url} answers now")
                del reported[url]
        ready = [url for url, error in errors.items() if error is None]
        if ready:
            if len(ready) < len(endpoints):
                say(f"starting with {len(ready)} of {len(endpoints)} {what} endpoints; the others join when they answer")
            return ready
        left = wait_s - (time.monotonic() - start)
        if left <= 0:
            raise EndpointsUnavailable(
                f"no {what} endpoint answered /models within {wait_s:.0f} s (--endpoint-wait): "
                + "; ".join(f"{url}: {error}" for url, error in errors.items()))
        if not waiting_said:
            say(f"waiting up to {wait_s:.0f} s (--endpoint-wait) for one of the {what} endpoints to answer")
            waiting_said = True
        time.sleep(min(poll_s, left))
