"""Package attributes that load their module on first use, so that importing a package does
not import what only some of its users need: matplotlib, pandas or pyarrow when the CLI
registers its commands, the layer schema when ``hwsim list`` reads a summary index."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: public name -> its submodule (``where``)."""

    def load(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        raise AttributeError(f"module '{package}' has no attribute {name!r}")

    return load
