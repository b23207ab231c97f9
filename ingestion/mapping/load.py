"""Mapping files read from YAML into a validated `Mapping`; a mistake names the file, the line and the fix."""

from __future__ import annotations

import difflib
from collections import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from ingestion.mapping.schema import Mapping
from shelfcast.errors import ShelfcastError

# loc parts pydantic adds for the branches of a union (`str | Regressor`): not keys of the file
_BRANCH_TAGS = {"str", "int", "float", "bool", "list", "dict", "Regressor"}


@dataclass(frozen=True)
class MappingFile:
    """A validated mapping and where each of its keys is written."""

    path: Path
    mapping: Mapping
    lines: dict[str, int]  # dotted key ("columns.quantity", "attributes[0].keys") -> 1-based line

    def at(self, key: str) -> str:
        """`file:line` of a dotted key, or the file alone when the key is not written in it."""
        line = self.lines.get(key)
        return f"{self.path}:{line}" if line else str(self.path)


def load_mapping(path: Path, environ: abc.Mapping[str, str]) -> MappingFile:
    """The mapping in `path`. `${NAME}` in paths and URLs comes from `environ`; relative paths are relative
    to the file's folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ShelfcastError(f"mapping file {path} does not exist", hint="check the path") from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as error:
        raise ShelfcastError(
            f"cannot read mapping file {path}: {error}", hint="give a UTF-8 YAML file"
        ) from None
    root = _compose(path, text)
    if not isinstance(root, yaml.MappingNode):
        raise ShelfcastError(
            f"{path}: a mapping file is a YAML mapping of keys (name, source, columns, …)",
            hint="see ingestion/mapping/README.md",
        )
    _refuse_duplicate_keys(path, root)
    data = yaml.SafeLoader("").construct_document(root)
    context = {"environ": environ, "base_dir": path.resolve().parent}
    try:
        mapping = Mapping.model_validate(data, context=context)
    except ValidationError as error:
        raise _explain(path, root, error.errors(include_url=False)) from None
    return MappingFile(path, mapping, dict(_key_lines(root, "")))


def _compose(path: Path, text: str) -> yaml.Node | None:
    loader = yaml.SafeLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ShelfcastError(
            f"{path}{line}: not valid YAML: {error.problem or error.context}",
            hint="check indentation and quoting (values starting with % or * need quotes)",
        ) from None
    finally:
        loader.dispose()


def _refuse_duplicate_keys(path: Path, node: yaml.Node) -> None:
    # YAML loaders keep the last of two equal keys without a word; in a mapping that hides a mistake
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                raise ShelfcastError(
                    f"{path}:{line}: key {key.value!r} appears twice (first on line {seen[key.value]})",
                    hint="keep one of them",
                )
            seen[key.value] = line
            _refuse_duplicate_keys(path, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(path, item)


def _key_lines(node: yaml.Node, prefix: str) -> abc.Iterator[tuple[str, int]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            dotted = f"{prefix}.{key.value}" if prefix else str(key.value)
            yield dotted, key.start_mark.line + 1
            yield from _key_lines(value, dotted)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield f"{prefix}[{index}]", item.start_mark.line + 1
            yield from _key_lines(item, f"{prefix}[{index}]")


def _explain(path: Path, root: yaml.Node, errors: list[ErrorDetails]) -> ShelfcastError:
    """The first validation error as one message (file:line: what) with a hint (the fix)."""
    error, others = _first_problem(errors)
    loc = tuple(part for part in error["loc"] if not _is_branch_tag(part))
    line, found = _line_of(root, loc)
    where = _dotted(found)
    kind, value = error["type"], error.get("input")
    hint: str | None = None
    if kind == "extra_forbidden":
        parent_fields = _fields_at(loc[:-1])
        text = f"unknown key {loc[-1]!r}" + (f" in {_dotted(loc[:-1])}" if loc[:-1] else "")
        hint = _did_you_mean(str(loc[-1]), sorted(parent_fields)) or (
            "known keys here: " + ", ".join(sorted(parent_fields))
        )
    elif kind == "missing":
        where = _dotted(loc)
        text = f"{where} is required"
        field = _field_at(loc)
        hint = f"add {loc[-1]}: {_choices(field)}" if field else None
    elif kind == "mapping":
        text = f"{where}: {error['msg']}" if where else error["msg"]
        hint = (error.get("ctx") or {}).get("hint") or None
    else:
        text = f"{where}: {error['msg']}" if where else error["msg"]
        if isinstance(value, bool):
            hint = "YAML reads unquoted yes/no/on/off/true/false as booleans: quote the value ('Yes')"
        elif kind == "literal_error" and (field := _field_at(loc)) is not None:
            hint = _did_you_mean(str(value), _literal_values(field.annotation))
        if hint is None and (field := _field_at(loc)) is not None:
            hint = field.description
    more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
    return ShelfcastError(f"{path}:{line}: {text}{more}", hint=hint)


def _first_problem(errors: list[ErrorDetails]) -> tuple[ErrorDetails, int]:
    """The first error, and how many other problems there are. A value no branch of a union accepts
    fails once per branch: the branch that got deepest into the value names the real problem (a mapping
    given for `str | Regressor` is a Regressor with a wrong key, not a wrong string)."""
    first = errors[0]["loc"]
    tag = next((i for i, part in enumerate(first) if _is_branch_tag(part)), None)
    if tag is None:
        return errors[0], len(errors) - 1
    same = [e for e in errors if e["loc"][:tag] == first[:tag] and len(e["loc"]) > tag]
    chosen = max(same, key=lambda e: len(e["loc"]))
    return chosen, len(errors) - len(same)


def _is_branch_tag(part: str | int) -> bool:
    return isinstance(part, str) and (part in _BRANCH_TAGS or "[" in part)


def _line_of(root: yaml.Node, loc: tuple[str | int, ...]) -> tuple[int, tuple[str | int, ...]]:
    """The line of the deepest key of `loc` written in the file (a key's own line, not its block's), and
    the part of `loc` found."""
    node, marked, found = root, root, ()
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            marked, node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            marked = node = node.value[part]
        else:
            break
        found = (*found, part)
    return marked.start_mark.line + 1, found


def _dotted(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _field_at(loc: tuple[str | int, ...]) -> FieldInfo | None:
    """The schema field a location names (through nested models and lists), if any."""
    models: list[type[BaseModel]] = [Mapping]
    field: FieldInfo | None = None
    for part in loc:
        if isinstance(part, int):
            continue
        owner = next((model for model in models if part in model.model_fields), None)
        if owner is None:
            return None
        field = owner.model_fields[part]
        models = _models_in(field.annotation)
    return field


def _fields_at(loc: tuple[str | int, ...]) -> set[str]:
    if not loc:
        return set(Mapping.model_fields)
    field = _field_at(loc)
    return {name for model in _models_in(field.annotation) for name in model.model_fields} if field else set()


def _literal_values(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    return [value for arg in get_args(annotation) for value in _literal_values(arg)]


def _choices(field: FieldInfo) -> str:
    values = _literal_values(field.annotation)
    return (" | ".join(values) + " — " if values else "") + (field.description or "")


def _did_you_mean(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None
