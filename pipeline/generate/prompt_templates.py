"""Prompt templates as data files (prompts/*.toml) and the deterministic choice of one per chunk."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

# Package data (prompts/ in a checkout, docmatix/prompts/ in the wheel), wherever the package is installed.
DEFAULT_PROMPTS_DIR = Path(str(files("docmatix.prompts")))

JSON_INSTRUCTION = (
    '\n\nInstead of the Q/A form, answer with JSON only: {"pairs": [{"question": "...", "answer": "..."}, ...]}'
)


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    role: str
    system: str
    user: str
    examples: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def messages(self, text: str, answer_format: str = "qa") -> list[dict[str, str]]:
        msgs = [{"role": "system", "content": self.system}]
        for user, assistant in self.examples:
            msgs.append({"role": "user", "content": user})
            msgs.append({"role": "assistant", "content": assistant})
        content = self.user.replace("{text}", text)
        if answer_format == "json":
            content += JSON_INSTRUCTION
        msgs.append({"role": "user", "content": content})
        return msgs


class TemplateError(ValueError):
    pass


def load_template(path: Path) -> PromptTemplate:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path}: {exc}") from exc
    for required in ("system", "user"):
        if not isinstance(data.get(required), str):
            raise TemplateError(f"{path}: missing string field {required!r}")
    if "{text}" not in data["user"]:
        raise TemplateError(f"{path}: the user part must contain {{text}}")
    examples = tuple((e["user"], e["assistant"]) for e in data.get("examples", []))
    return PromptTemplate(
        name=data.get("name", path.stem), role=data.get("role", ""), system=data["system"],
        user=data["user"], examples=examples,
    )


def load_templates(folder: str | Path | None = None) -> list[PromptTemplate]:
    folder = Path(folder) if folder else DEFAULT_PROMPTS_DIR
    templates = [load_template(p) for p in sorted(folder.glob("*.toml"))]
    if not templates:
        raise TemplateError(f"no prompt templates (*.toml) in {folder}")
    names = [t.name for t in templates]
    if len(set(names)) != len(names):
        raise TemplateError(f"duplicate template names in {folder}: {names}")
    return templates


def choose_template(templates: list[PromptTemplate], seed: int, key: str, chunk_index: int) -> PromptTemplate:
    """Same seed, document key and chunk give the same template on every run and machine."""
    digest = hashlib.sha256(f"{seed}\x00{key}\x00{chunk_index}".encode()).digest()
    return templates[int.from_bytes(digest[:8], "big") % len(templates)]
