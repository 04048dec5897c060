"""Build buzon_bounces as C extensions compiled by mypyc from its typed source.

mypyc (part of mypy) turns each module into a C extension, read from the same
strictly-typed source; the parse gives the same results in about three quarters of the
machine instructions (docs/bounces.md, "Speed"). With BUZON_BOUNCES_PURE=1 in the
environment, the package is built as plain Python (no C compiler needed); the source is
the same either way.
"""

import os
from pathlib import Path

from setuptools import Extension, setup

# Left as Python: the command line (nothing to gain from compiling it) and the
# package's __init__, which re-exports the API: tools that find a package by its
# __init__.py file (import-linter's grimp) do not take an __init__ extension module.
KEPT_PYTHON = {"src/buzon_bounces/__init__.py", "src/buzon_bounces/cli.py"}


def compiled_modules() -> list[Extension]:
    if os.environ.get("BUZON_BOUNCES_PURE", "") not in ("", "0"):
        return []
    from mypyc.build import mypycify

    root = Path(__file__).parent
    sources = sorted(
        path.relative_to(root).as_posix() for path in (root / "src" / "buzon_bounces").rglob("*.py")
    )
    compiled = [source for source in sources if source not in KEPT_PYTHON]
    # The type settings are the package's own (pyproject.toml [tool.mypy]), not the
    # repository's, which load the Django plugin.
    return mypycify(["--config-file", str(root / "pyproject.toml"), *compiled])


setup(ext_modules=compiled_modules())
