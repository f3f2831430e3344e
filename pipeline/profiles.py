"""Run profiles: named sets of setting overrides, applied in one place (`apply_profile`).

`default` is this tool's own choices. `docmatix` sets every rule of the reference scripts
(huggingface/docmatix run inside huggingface/llm-swarm) that is a setting here, so a run can be put next
to Docmatix. The profile table of docs/reproducing-docmatix.md is generated from `PROFILES["docmatix"]` (a test checks it).
Reference rules that are not settings (how the prompt reaches the server, the unseeded template draw)
are listed in `NOT_REPRODUCED`, with why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docmatix.filters.presets import PRESETS
from docmatix.schemas.output_layout import rejects_dir

if TYPE_CHECKING:
    from docmatix.pipeline.config import RunConfig

# The reference filter preset: issue 18 may rename it to say it is exact, keeping `docmatix` as an alias.
REFERENCE_PRESET = "docmatix-exact" if "docmatix-exact" in PRESETS else "docmatix"


@dataclass(frozen=True)
class ProfileRule:
    setting: str  # a RunConfig setting (a stage field's flat name, pipeline/settings.py)
    value: Any  # the reference's value (None for sampling: not sent, so the server's default)
    rule: str  # what the reference does
    why_ours: str  # why the default profile differs ("" when it does not)


DOCMATIX_RULES: tuple[ProfileRule, ...] = (
    ProfileRule("text_source", "pdfa_json", "page text is the PDFA JSON `lines.text` joined by \" \\n \"",
                "our own text layer where the JSON lines are missing or garbled"),
    ProfileRule("ocr", False, "no OCR: a page without JSON lines has no text",
                "scanned pages get text from Tesseract instead of none"),
    ProfileRule("long_page", "skip_document", "a document with any page over 5,000 tokens is skipped whole",
                "the long page is cut to the chunk budget and the rest of the document is kept"),
    ProfileRule("max_chunk_tokens", 5000, "page and chunk token limit", ""),
    ProfileRule("max_chunk_pages", 5, "at most 5 pages per prompt", ""),
    ProfileRule("chunk_overlap_pages", 1, "consecutive prompts share one page", ""),
    ProfileRule("temperature", None, "no temperature sent: vLLM's default, 1.0",
                "0.0: answers reproducible from the seed and cache, fewer invented facts"),
    ProfileRule("top_p", None, "no top_p sent: vLLM's default, 1.0",
                "1.0 sent explicitly so the request says what it gets"),
    ProfileRule("send_seed", False, "no sampling seed sent", "the seed is sent so sampled answers repeat"),
    ProfileRule("max_tokens", 2000, "`max_tokens` 2000", ""),
    ProfileRule("filter_preset", REFERENCE_PRESET, "the nine reference regexes, false positives included",
                "`strict`: precise regexes plus a filter per kind of mistake (see Filters)"),
    ProfileRule("dpi", 150, "pages rendered at 150 dpi", ""),
    ProfileRule("max_image_side", 2940, "longest side capped at 2,940 px (Lanczos)", ""),
    ProfileRule("image_format", "png", "PNG pages", ""),
    ProfileRule("grayscale", False, "RGB pages", ""),
)

PROFILES: dict[str, tuple[ProfileRule, ...]] = {"default": (), "docmatix": DOCMATIX_RULES}

# Reference behaviour that is not a setting here, and why.
NOT_REPRODUCED: tuple[tuple[str, str], ...] = (
    ("prompt rendered with the model's chat template and sent as one raw prompt to the legacy vLLM "
     "`api_server` (`{\"prompt\", \"max_tokens\"}`)",
     "we send chat messages to `/v1/chat/completions`; the server applies the same chat template"),
    ("template picked by an unseeded `random.randint(0, 4)`",
     "ours is drawn from `--seed`, the document key and the chunk index: the same uniform choice, repeatable"),
    ("pages rendered by pdf2image (poppler)",
     "PyMuPDF renders at the same dpi, size cap and format; pixels differ slightly between renderers"),
    ("rows without any valid pair, or with a failed render, are dropped",
     f"the same in every profile (`no_pairs_kept`, render failures), and written to {rejects_dir('documents')}/"),
)


def profile_overrides(name: str) -> dict[str, Any]:
    try:
        return {r.setting: r.value for r in PROFILES[name]}
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; known: {sorted(PROFILES)}") from None


def apply_profile(config: RunConfig) -> RunConfig:
    """The config with its profile's settings set (they override flags of the same name)."""
    overrides = profile_overrides(config.profile)
    unknown = sorted(set(overrides) - set(config.setting_names()))
    if unknown:
        raise ValueError(f"profile {config.profile!r} sets unknown setting(s) {unknown}")
    return config.with_settings(**overrides)


def _cell(value: Any) -> str:
    return "not sent" if value is None else f"`{value}`".replace("`False`", "off").replace("`True`", "on")


def profile_table(name: str = "docmatix") -> str:
    """The docs table: rule, setting, the reference's value, our default's, and why ours differs."""
    from docmatix.pipeline.config import RunConfig

    default = RunConfig(inputs=[], output="")
    lines = ["| rule (reference) | setting | reference (`--profile docmatix`) | our default | why ours differs |",
             "|---|---|---|---|---|"]
    for r in PROFILES[name]:
        ours = getattr(default, r.setting)
        lines.append(f"| {r.rule} | `{r.setting}` | {_cell(r.value)} | {_cell(ours)} | {r.why_ours or 'same'} |")
    for rule, why in NOT_REPRODUCED:
        lines.append(f"| {rule} | - | - | - | not a setting: {why} |")
    return "\n".join(lines)


if __name__ == "__main__":  # `python -m docmatix.pipeline.profiles`: the table of docs/reproducing-docmatix.md
    print(profile_table())
