"""Command-line flags generated from settings dataclasses: a field's flag, type, default and help are
read from the field itself, so a setting cannot exist without its flag (tests/test_settings_cli.py).

A field is declared with `setting(default, "help text", ...)`. Its flag is `--name-with-dashes`, or
`--no-name` for a bool that defaults to true (store_false); a bool that defaults to false is a plain
switch (store_true). The argparse type comes from the annotation (int, float; `X | None` as X); other
types (lists) name theirs. `flag=` keeps a name the CLI had before the field was named otherwise.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import MISSING, Field, field, fields
from typing import Any

# A value given to `help` or `choices` may be a function called when the parser is built: for values
# computed from modules that import the settings (the filter presets list the filters, which take them).
Lazy = Callable[[], Any]


def setting(default: Any = MISSING, help: str = "", *, flag: str | tuple[str, ...] | None = None,
            type: Callable[[str], Any] | None = None, choices: Iterable[str] | Lazy | None = None,
            metavar: str | None = None, action: str | None = None, positional: bool = False,
            required: bool = False, default_factory: Callable[[], Any] | None = None) -> Any:
    """A dataclass field that carries its command-line flag (see the module docstring)."""
    meta = {"help": help, "flag": flag, "type": type, "choices": choices, "metavar": metavar, "action": action,
            "positional": positional, "required": required}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def _lazy(value: Any) -> Any:
    return value() if callable(value) else value


def _value_type(annotation: Any) -> Any:
    """int for `int` and for `int | None`; the annotation itself otherwise."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def field_default(f: Field) -> Any:
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None if f.default is MISSING else f.default


def flags_of(f: Field, annotation: Any) -> tuple[str, ...]:
    """The option strings of a field (empty for a positional one)."""
    meta = f.metadata
    if meta.get("positional"):
        return ()
    if meta.get("flag"):
        flag = meta["flag"]
        return (flag,) if isinstance(flag, str) else tuple(flag)
    name = f.name.replace("_", "-")
    if _value_type(annotation) is bool and f.default is True:
        return (f"--no-{name}",)
    return (f"--{name}",)


def argument_kwargs(f: Field, annotation: Any) -> dict[str, Any]:
    """The `add_argument` keywords of a field (without its option strings)."""
    meta = f.metadata
    value_type = _value_type(annotation)
    kwargs: dict[str, Any] = {"help": _lazy(meta.get("help")) or None}
    if meta.get("positional"):
        return {**kwargs, "nargs": "+" if typing.get_origin(value_type) is list else None}
    kwargs["dest"] = f.name
    if value_type is bool:
        return {**kwargs, "action": "store_false" if f.default is True else "store_true"}
    if meta.get("required"):
        kwargs["required"] = True
    else:
        kwargs["default"] = field_default(f)
    if meta.get("action"):
        kwargs["action"] = meta["action"]
    if meta.get("type") is not None:
        kwargs["type"] = meta["type"]
    elif value_type in (int, float):
        kwargs["type"] = value_type
    if meta.get("choices") is not None:
        kwargs["choices"] = list(_lazy(meta["choices"]))
    if meta.get("metavar"):
        kwargs["metavar"] = meta["metavar"]
    return kwargs


def setting_fields(cls: type) -> Iterator[tuple[Field, Any]]:
    """(field, resolved annotation) of a settings dataclass, in declaration order."""
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        yield f, hints[f.name]


def add_setting_arguments(container: argparse._ActionsContainer, cls: type, skip: Iterable[str] = (),
                          flags: dict[str, tuple[str, ...]] | None = None, only: Iterable[str] | None = None
                          ) -> None:
    """One argument per field of `cls` (`skip`, or all but `only`: fields this command does not offer;
    `flags`: other option strings for a field in this command)."""
    skip, flags = set(skip), flags or {}
    for f, annotation in setting_fields(cls):
        if f.name in skip or (only is not None and f.name not in only):
            continue
        kwargs = argument_kwargs(f, annotation)
        if f.metadata.get("positional"):
            container.add_argument(f.name, **{k: v for k, v in kwargs.items() if v is not None})
        else:
            container.add_argument(*flags.get(f.name, flags_of(f, annotation)), **kwargs)
