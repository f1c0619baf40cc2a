"""Check a swept parameter path (``compute.rows``, ``buffers.0.capacity_kib``) against the
accelerator schema when a sweep spec loads, so that a misspelt field is one located error with
a suggestion, not a sweep of ``invalid`` rows.

The schema is the pydantic one (:class:`hwsim.arch.spec.ArchSpec`); ``compute`` follows the
arch's ``kind`` (:data:`hwsim.arch.compute.COMPUTE_MODELS`); list items are addressed by index
and must exist in the base arch (``buffers.3`` of a two-buffer arch is refused).
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any, Literal

from hwsim.arch.compute import COMPUTE_MODELS
from hwsim.arch.spec import ArchSpec
from hwsim.yamlio import did_you_mean, field_names, is_model, schema_step, type_options


def _kind_label(tp: Any) -> str:
    """What a leaf holds, for 'has no fields' messages."""
    opts = type_options(tp)
    if any(typing.get_origin(o) is Literal for o in opts):
        return "a choice"
    names = {getattr(o, "__name__", str(o)) for o in opts}
    if names <= {"int", "float"}:
        return "a number"
    if names == {"bool"}:
        return "a flag"
    if names == {"str"}:
        return "text"
    return "a value"


def _container(tp: Any) -> tuple[str, Any] | None:
    """('list' | 'tuple' | 'dict', key type) of a container type, else None."""
    for o in type_options(tp):
        origin = typing.get_origin(o)
        args = typing.get_args(o)
        if origin in (list, tuple, set, frozenset):
            return ("tuple" if origin is tuple else "list"), args
        if origin is dict and len(args) == 2:
            return "dict", args[0]
    return None


def path_problem(arch_data: dict[str, Any], path: str, kinds: Iterable[str] = ()) -> str | None:
    """None when ``path`` names a field the accelerator ``arch_data`` (parsed YAML) can hold;
    else what is wrong, with the closest field name when one is close.

    ``kinds``: further target kinds whose ``compute`` section the path may address (a sweep
    that also sets ``kind``); the path is accepted when one of them has it."""
    base_kind = arch_data.get("kind")
    candidates = list(dict.fromkeys([str(base_kind), *map(str, kinds)]))
    problems = [_problem(arch_data, path, k) for k in candidates]
    return None if any(p is None for p in problems) else problems[0]


def _problem(arch_data: dict[str, Any], path: str, kind: str) -> str | None:
    parts = path.split(".")
    if any(p == "" for p in parts):
        return f"'{path}' is not a dotted field path (e.g. compute.rows)"
    tp: Any = ArchSpec
    data: Any = arch_data
    where = "the accelerator"
    for i, part in enumerate(parts):
        here = ".".join(parts[:i + 1])
        if tp is Any or tp is None:
            return None  # free-form below this point (e.g. a compute section of unknown kind)
        if is_model(tp) or any(is_model(o) for o in type_options(tp)):
            fields = field_names(tp)
            if tp is ArchSpec and part == "compute":
                model = COMPUTE_MODELS.get(kind)
                tp = model if model is not None else Any
                where = f"compute ({kind})" if model is not None else "compute"
            elif part not in fields:
                hint = did_you_mean(part, fields)
                listing = "" if hint else f" (fields: {', '.join(sorted(fields))})"
                return f"{where} has no field '{part}'{hint}{listing}"
            else:
                tp = schema_step(tp, part)
                where = here
        elif (cont := _container(tp)) is not None:
            what, args = cont
            if what == "dict":
                key_opts = [o for o in type_options(args) if typing.get_origin(o) is Literal]
                keys = [str(a) for o in key_opts for a in typing.get_args(o)]
                if keys and part not in keys:
                    return (f"{where} has no key '{part}'{did_you_mean(part, keys)}"
                            f" (keys: {', '.join(keys)})")
            else:
                if not part.isdigit():
                    return (f"{where} is a list: address an item by its index "
                            f"({where}.0.<field>), not '{part}'")
                if isinstance(data, list) and int(part) >= len(data):
                    n = len(data)
                    return (f"{where} has {n} item{'s' if n != 1 else ''} (indices 0 to "
                            f"{n - 1}), no item {part}" if n else f"{where} is empty")
            tp = schema_step(tp, part)
            where = here
        else:
            return f"{where} is {_kind_label(tp)}, it has no field '{part}'"
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            data = None
    return None
