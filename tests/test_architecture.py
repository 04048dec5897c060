"""The import rules of docs/architecture.md are checked: `lint-imports` (import-linter,
contracts in .importlinter) passes on the tree as it is, and fails, naming the broken
contract, when one forbidden import is added to a copy of the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
SOURCES = {
    "buzon": ROOT / "src" / "buzon",
    "buzon_bounces": ROOT / "packages/bounces/src/buzon_bounces",
}


def lint_imports(source_root: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if source_root is not None:
        # Ahead of the installed packages, so the copy is the one analysed.
        env["PYTHONPATH"] = str(source_root)
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(CONFIG), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=source_root or ROOT,
        timeout=120,
    )


def copy_of_the_code(tmp_path: Path) -> Path:
    for name, source in SOURCES.items():
        shutil.copytree(
            source,
            tmp_path / name,
            ignore=lambda _dir, names: [
                n for n in names if not n.endswith(".py") and not (Path(_dir) / n).is_dir()
            ],
        )
    return tmp_path


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "added_import", "contract"),
    [
        (
            "buzon/workspace/views/people.py",
            "from buzon.deliveries import suppression",
            "Deliveries are read by the workspace only through workspace.deliverydata",
        ),
        (
            "buzon/domains/recipients.py",
            "from buzon.deliveries.models import Suppression",
            "Deliveries are read by the workspace only through workspace.deliverydata",
        ),
        (
            "buzon/deliveries/recording.py",
            "from buzon.mail import relay",
            "Apps import only the layers below them",
        ),
        (
            "buzon/tickets/models.py",
            "from buzon.rules import engine",
            "Apps import only the layers below them",
        ),
        (
            "buzon/smtpcodes/model.py",
            "from django.conf import settings",
            "buzon.smtpcodes imports only the standard library and itself",
        ),
        (
            "buzon_bounces/smtp.py",
            "from buzon.smtpcodes import parsing",
            "buzon_bounces imports only the standard library and itself",
        ),
    ],
)
def test_one_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, added_import: str, contract: str
) -> None:
    code = copy_of_the_code(tmp_path)
    with (code / module).open("a") as f:
        f.write(f"\n{added_import}  # the breach under test\n")

    result = lint_imports(code)

    assert result.returncode != 0
    broken = " ".join(result.stdout.split())  # long names wrap across lines
    assert f"{contract} BROKEN" in broken
    assert "1 broken" in broken
