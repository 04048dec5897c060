"""Dead code: the functions, methods, classes and properties nothing refers to.

Runs vulture over the help desk (src/) and the bounce library (packages/bounces/src),
with bench/ read as a user of the code. The tests are not read: code that only a test
calls is dead. Django and the other frameworks call some code by convention rather
than by name; the allow-list below says which, and why. Exits 1 and lists what it
found when anything is left; `scripts/test.sh` runs it.

Usage: .venv/bin/python scripts/deadcode.py
"""

from __future__ import annotations

import fnmatch
import re
import sys
import tomllib
from pathlib import Path

from vulture import Vulture

ROOT = Path(__file__).resolve().parent.parent
CODE = [ROOT / "src", ROOT / "packages/bounces/src"]
USERS = [ROOT / "bench"]
EXCLUDE = ["*/migrations/*"]

# vulture gives an unused function, method, class or property 60% confidence (it cannot
# see calls made through getattr or strings); 80 would leave only unused arguments and
# imports, which ruff already reports. So: 60, and only those four kinds (unused
# variables and attributes are mostly model fields and TypedDict keys, read by the ORM
# and templates by name).
MIN_CONFIDENCE = 60
KINDS = {"function", "method", "class", "property"}

# Decorators that register what they decorate: it is called through the registry.
REGISTERING_DECORATORS = [
    "@api.*",  # api.router: REST endpoints
    "@register.*",  # template filters and tags
    "@admin.*",  # ModelAdmin classes, admin actions and display columns
    "@*.register_lookup",  # ORM lookups
    "@receiver",  # Django signal receivers
]

# Modules whose every definition is an entry point Django finds by convention.
ENTRY_POINT_MODULES = [
    "*/apps.py",  # AppConfig subclasses and their ready()
    "*/admin.py",  # ModelAdmin options and has_*_permission, called by the admin
    "*/management/commands/*.py",  # Command, add_arguments, handle, sub-commands by name
]

# Names that frameworks call on our subclasses.
CONVENTION_NAMES = {
    "Meta": "model and form options",
    "as_sql": "Django expressions and lookups",
    "as_postgresql": "Django expressions and lookups, per database",
    "get_by_natural_key": "Django's auth user manager",
    "create_superuser": "Django's auth user manager (createsuperuser)",
    "get_failures": "django-axes' handler interface",
    "get_user": "Django's authentication backend interface",
    "_get_session_from_db": "Django's database session store, which buzon.core.sessions extends",
    "handle_RCPT": "aiosmtpd handler hooks",
    "handle_DATA": "aiosmtpd handler hooks",
    "factory": "aiosmtpd.controller.Controller builds its SMTP server with it",
    "__getattr__": "a module's lazy attributes (PEP 562)",
}
CONVENTION_PATTERNS = {
    "clean_*": "Django form field cleaners (clean_<field>)",
}

# Library API that nothing in this repository calls but that the documentation offers.
DOCUMENTED_API = {
    "api_name": "buzon.smtpcodes ZendeskStatus.api_name (docs/smtpcodes.md)",
    "statuses_in": "buzon.smtpcodes.statuses_in (docs/smtpcodes.md)",
}


def referenced_in_text() -> set[str]:
    """Names used where vulture does not look: templates (attributes, filters, tags),
    migrations, dotted paths in strings (settings' middleware, backends, callables) and the console
    scripts of the pyproject.toml files."""
    names: set[str] = set()
    for template in (ROOT / "src").rglob("*.html"):
        names.update(re.findall(r"[A-Za-z_]\w*", template.read_text(encoding="utf-8")))
    # Migrations are not scanned for dead code, but what they call and the models they
    # create are used.
    for migration in (ROOT / "src").glob("buzon/*/migrations/*.py"):
        names.update(re.findall(r"[A-Za-z_]\w*", migration.read_text(encoding="utf-8")))
    for source in (ROOT / "src").rglob("*.py"):
        for dotted in re.findall(r"[\"'](buzon[\w.]*)[\"']", source.read_text(encoding="utf-8")):
            names.update(dotted.split("."))
    for project in [ROOT / "pyproject.toml", ROOT / "packages/bounces/pyproject.toml"]:
        scripts = tomllib.loads(project.read_text(encoding="utf-8"))["project"]["scripts"]
        names.update(target.rsplit(":", 1)[1] for target in scripts.values())
    return names


def allowed(name: str, path: Path) -> bool:
    relative = path.resolve().relative_to(ROOT).as_posix()
    return (
        any(fnmatch.fnmatch(relative, pattern) for pattern in ENTRY_POINT_MODULES)
        or name in CONVENTION_NAMES
        or any(fnmatch.fnmatch(name, pattern) for pattern in CONVENTION_PATTERNS)
        or name in DOCUMENTED_API
    )


def dead_code() -> list[str]:
    vulture = Vulture(ignore_decorators=REGISTERING_DECORATORS)
    vulture.scavenge([str(p) for p in CODE + USERS], exclude=EXCLUDE)
    vulture.used_names.update(referenced_in_text())
    found = []
    for item in vulture.get_unused_code(min_confidence=MIN_CONFIDENCE):
        path = Path(item.filename)
        if item.typ not in KINDS or not any(path.is_relative_to(c) for c in CODE):
            continue
        if not allowed(item.name, path):
            where = path.resolve().relative_to(ROOT)
            found.append(f"{where}:{item.first_lineno}: {item.message}")
    return found


def main() -> int:
    found = dead_code()
    for line in found:
        print(line)
    if found:
        print(
            f"{len(found)} unreferenced definitions: remove them, or add a framework's "
            "convention to the allow-list in scripts/deadcode.py",
            file=sys.stderr,
        )
        return 1
    print("deadcode: no unreferenced function, method, class or property")
    return 0


if __name__ == "__main__":
    sys.exit(main())
