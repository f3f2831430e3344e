"""Turn an LLM completion into question/answer pairs ("Q1:/A1:" text, or the JSON answer format)."""

from __future__ import annotations

import json

import regex

# A "Q<n>:" or "A<n>:" marker at the start of a line (markdown bold or list dashes tolerated), or the
# spelled-out and unnumbered forms small models fall back to ("Question 2:", "Q:", "Answer:"). Without
# a number only ":" ends the marker, so a line starting "A. Smith" stays text.
_MARKER = regex.compile(
    r"^[ \t>*\-#]*(?:\*\*)?(Q(?:uestion)?|A(?:nswer)?)"
    r"(?:[ \t]*(\d+)(?:\*\*)?\s*[:.)]|(?:\*\*)?[ \t]*:)(?:\*\*)?[ \t]*",
    regex.M | regex.I,
)


def split_marker(line: str) -> tuple[str | None, str]:
    """("Q" or "A", the text after the marker) for a line opening with a marker, else (None, line)."""
    m = _MARKER.match(line)
    return (m.group(1)[0].upper(), line[m.end():]) if m else (None, line)


def parse_qa_text(completion: str) -> list[tuple[str, str]]:
    """Pairs from "Q1: ... A1: ..." text. A question with no answer gets an empty answer, so the
    filters (not the parser) decide its fate and it is counted."""
    marks = list(_MARKER.finditer(completion))
    segments = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(completion)
        segments.append((m.group(1)[0].upper(), m.group(2) or "", completion[m.end() : end].strip()))
    pairs: list[tuple[str, str]] = []
    question: tuple[str, str] | None = None
    for kind, number, text in segments:
        if kind == "Q":
            if question is not None:
                pairs.append((question[1], ""))
            question = (number, text)
        elif question is not None:
            pairs.append((question[1], text))
            question = None
        # An answer with no open question has nothing to pair with and is ignored.
    if question is not None:
        pairs.append((question[1], ""))
    return pairs


def parse_qa_json(completion: str) -> list[tuple[str, str]]:
    """Pairs from {"pairs": [{"question", "answer"}]} (code fences and a bare list tolerated)."""
    text = completion.strip()
    if text.startswith("```"):
        text = text.strip("`")
        text = text[text.find("\n") + 1 :] if "\n" in text else text
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        return []
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return []
    items = data.get("pairs", []) if isinstance(data, dict) else data
    pairs = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            pairs.append((str(item.get("question", "")).strip(), str(item.get("answer", "")).strip()))
    return pairs


QA_JSON_SCHEMA = {
    "type": "object",
    "properties": {
        "pairs": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
                "required": ["question", "answer"],
            },
        }
    },
    "required": ["pairs"],
}


def response_format(answer_format: str) -> dict | None:
    if answer_format != "json":
        return None
    return {"type": "json_schema", "json_schema": {"name": "qa_pairs", "schema": QA_JSON_SCHEMA}}


def parse_completion(completion: str, answer_format: str) -> list[tuple[str, str]]:
    return parse_qa_json(completion) if answer_format == "json" else parse_qa_text(completion)
