"""JSON Schema from Python type declarations, and request bodies checked against them.

The API's resources and request bodies are TypedDicts (`buzon.api.types`). This
module turns one into JSON Schema (OpenAPI 3.1 components) and checks a parsed JSON
body against the same declaration, so the served schema and the validation cannot
disagree. Supported: TypedDict (with NotRequired), int, str, bool, float, None,
`X | None`, list[X], dict[str, X], Literal[...], Any, and Annotated[X, Doc(...),
Format(...), Range(...)].
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, Required, Union, get_args, get_origin

NoneType = type(None)


@dataclass(frozen=True)
class Doc:
    """A description for a field or parameter."""

    text: str


@dataclass(frozen=True)
class Format:
    """A JSON Schema `format` (e.g. date-time, email, uri)."""

    name: str


@dataclass(frozen=True)
class Range:
    minimum: int | None = None
    maximum: int | None = None


def is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def _fields(tp: type) -> dict[str, Any]:
    hints = typing.get_type_hints(tp, include_extras=True)
    return {name: _strip_required(hint) for name, hint in hints.items()}


def required_keys(tp: type) -> set[str]:
    """The keys a TypedDict requires, read from its annotations.

    (`__required_keys__` misses NotRequired[...] when annotations are strings, as
    with `from __future__ import annotations`.)
    """
    hints = typing.get_type_hints(tp, include_extras=True)
    total = getattr(tp, "__total__", True)
    required = set()
    for name, hint in hints.items():
        origin = get_origin(hint)
        if origin is Required or (total and origin is not NotRequired):
            required.add(name)
    return required


def _strip_required(tp: Any) -> Any:
    while get_origin(tp) in (Required, NotRequired):
        tp = get_args(tp)[0]
    return tp


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


class SchemaBuilder:
    """Collects the components (one per TypedDict) while building schemas."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}

    def schema(self, tp: Any) -> dict[str, Any]:
        tp = _strip_required(tp)
        if tp is Any:
            return {}
        origin = get_origin(tp)
        if origin is Annotated:
            base, *meta = get_args(tp)
            schema = dict(self.schema(base))
            for item in meta:
                if isinstance(item, Doc):
                    schema["description"] = item.text
                elif isinstance(item, Format):
                    schema["format"] = item.name
                elif isinstance(item, Range):
                    if item.minimum is not None:
                        schema["minimum"] = item.minimum
                    if item.maximum is not None:
                        schema["maximum"] = item.maximum
            return schema
        if is_typeddict(tp):
            return self._component(tp)
        if _is_union(tp):
            options = [a for a in get_args(tp) if a is not NoneType]
            nullable = len(options) < len(get_args(tp))
            schemas = [self.schema(a) for a in options]
            if nullable:
                if len(schemas) == 1 and isinstance(schemas[0].get("type"), str):
                    only = dict(schemas[0])
                    only["type"] = [only["type"], "null"]
                    if "enum" in only:
                        only["enum"] = [*only["enum"], None]
                    return only
                schemas.append({"type": "null"})
            return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
        if origin is Literal:
            values = list(get_args(tp))
            return {"type": _json_type(type(values[0])), "enum": values}
        if origin is list:
            (item,) = get_args(tp) or (Any,)
            return {"type": "array", "items": self.schema(item)}
        if origin is dict:
            _, value = get_args(tp) or (str, Any)
            schema = {"type": "object"}
            if value is not Any:
                schema["additionalProperties"] = self.schema(value)
            return schema
        if tp is NoneType or tp is None:
            return {"type": "null"}
        if tp in (int, str, bool, float):
            return {"type": _json_type(tp)}
        if tp is dict:
            return {"type": "object"}
        if tp is list:
            return {"type": "array"}
        raise TypeError(f"no JSON Schema for {tp!r}")

    def _component(self, tp: type) -> dict[str, Any]:
        name = tp.__name__
        ref = {"$ref": f"#/components/schemas/{name}"}
        if name in self.components:
            return ref
        self.components[name] = {}  # placeholder: a type may refer to itself
        properties = {field: self.schema(hint) for field, hint in _fields(tp).items()}
        component: dict[str, Any] = {"type": "object", "properties": properties}
        required = sorted(required_keys(tp))
        if required:
            component["required"] = required
        doc = (tp.__doc__ or "").strip()
        if doc and not doc.startswith(f"{name}("):
            component["description"] = doc
        self.components[name] = component
        return ref


def _json_type(tp: type) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}[tp]


# ---------------------------------------------------------------- checking bodies


def check(value: Any, tp: Any, where: str = "") -> list[tuple[str, str]]:
    """Where `value` (parsed JSON) does not fit `tp`: a list of (field path, message).

    Unknown keys of a TypedDict are allowed (Zendesk ignores fields it does not know),
    so a client sending a full Zendesk object gets no error for fields Buzón lacks.
    """
    tp = _strip_required(tp)
    if tp is Any:
        return _storable(value, where)
    origin = get_origin(tp)
    if origin is Annotated:
        base, *meta = get_args(tp)
        problems = check(value, base, where)
        if not problems:
            for item in meta:
                if isinstance(item, Range) and isinstance(value, int | float):
                    if item.minimum is not None and value < item.minimum:
                        problems.append((where, f"must be at least {item.minimum}"))
                    if item.maximum is not None and value > item.maximum:
                        problems.append((where, f"must be at most {item.maximum}"))
        return problems
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [(where, "must be an object")]
        problems = []
        for key in sorted(required_keys(tp)):
            if key not in value:
                problems.append((_join(where, key), "is required"))
        for key, hint in _fields(tp).items():
            if key in value:
                problems.extend(check(value[key], hint, _join(where, key)))
        return problems
    if _is_union(tp):
        options = get_args(tp)
        for option in options:
            if not check(value, option, where):
                return []
        if value is None:
            return [(where, "cannot be null")]
        return check(value, next(o for o in options if o is not NoneType), where)
    if origin is Literal:
        allowed = get_args(tp)
        if value in allowed and type(value) in {type(a) for a in allowed}:
            return []
        return [(where, f"must be one of {', '.join(map(str, allowed))}")]
    if origin is list:
        if not isinstance(value, list):
            return [(where, "must be a list")]
        (item,) = get_args(tp) or (Any,)
        problems = []
        for index, element in enumerate(value):
            problems.extend(check(element, item, f"{where}[{index}]"))
        return problems
    if origin is dict or tp is dict:
        return (
            _storable(value, where) if isinstance(value, dict) else [(where, "must be an object")]
        )
    if tp is NoneType or tp is None:
        return [] if value is None else [(where, "must be null")]
    if tp is bool:
        return [] if isinstance(value, bool) else [(where, "must be true or false")]
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and abs(value) > MAX_INTEGER:
            return [(where, "is too large")]
        return [] if ok else [(where, "must be an integer")]
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [(where, "must be a number")]
    if tp is str:
        if not isinstance(value, str):
            return [(where, "must be text")]
        return _text_problems(value, where)
    if tp is list:
        return [] if isinstance(value, list) else [(where, "must be a list")]
    raise TypeError(f"cannot check {tp!r}")


MAX_INTEGER = 2**63 - 1  # what a database integer column holds


def _text_problems(value: str, where: str) -> list[tuple[str, str]]:
    """Text every database can store: no NUL, no unpaired surrogates."""
    if "\x00" in value:
        return [(where, "must not contain NUL characters")]
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return [(where, "must be valid Unicode (no unpaired surrogates)")]
    return []


def _storable(value: Any, where: str, depth: int = 0) -> list[tuple[str, str]]:
    """Free-form JSON (Any) that a JSON column can store: the same text rules, bounded
    integers and depth, all the way down."""
    if depth > 32:
        return [(where, "is nested too deeply")]
    if isinstance(value, str):
        return _text_problems(value, where)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return []
    if isinstance(value, int):
        return [] if abs(value) <= MAX_INTEGER else [(where, "is too large")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _storable(v, f"{where}[{i}]", depth + 1)]
    if isinstance(value, dict):
        problems = []
        for key, item in value.items():
            problems += _text_problems(key, where) + _storable(item, _join(where, key), depth + 1)
        return problems
    return [(where, "is not JSON")]


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
