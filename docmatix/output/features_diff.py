"""Say how two `datasets` feature sets differ, column by column, in words a user can act on:
`texts[].assistant: Value('large_string') where the Cauldron has Value('string')`.
"""

from __future__ import annotations

from datasets import Features, LargeList, List


def flatten_features(feature, path: str = "", out: dict[str, str] | None = None) -> dict[str, str]:
    """Path -> type, one entry per column, nested field and list level (`texts[]`, `texts[].user`)."""
    out = {} if out is None else out
    if isinstance(feature, dict):  # Features or a struct
        if path:
            out[path] = "Struct"
        for name, sub in feature.items():
            flatten_features(sub, f"{path}.{name}" if path else name, out)
    elif isinstance(feature, (list, tuple)):
        out[path] = "List"
        flatten_features(feature[0], path + "[]", out)
    elif isinstance(feature, (List, LargeList)):
        length = getattr(feature, "length", -1)
        out[path] = type(feature).__name__ + (f"(length={length})" if length not in (-1, None) else "")
        flatten_features(feature.feature, path + "[]", out)
    else:
        out[path] = repr(feature)
    return out


def feature_differences(expected: Features, actual: Features, expected_name: str = "expected") -> list[str]:
    want, have = flatten_features(expected), flatten_features(actual)
    diffs = []
    missing: list[str] = []  # paths already reported: their fields are not reported again
    for path in want:
        if path not in have:
            if not any(_inside(path, m) for m in missing):  # one line for a missing column, not one per field
                diffs.append(f"missing {path!r} ({want[path]})")
            missing.append(path)
        elif have[path] != want[path]:
            diffs.append(f"{path!r} is {have[path]} where {expected_name} has {want[path]}")
            missing.append(path)
    extra = [path for path in have if path not in want]
    diffs += [f"unexpected {path!r} ({have[path]})" for path in extra if not any(_inside(path, e) for e in extra)]
    return diffs


def _inside(path: str, parent: str) -> bool:
    return path != parent and path.startswith(parent) and path[len(parent)] in "[."
