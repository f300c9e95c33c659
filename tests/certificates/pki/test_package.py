"""Tests for certificates.pki as a package: it stays free of Django, and its public names resolve."""

import ast
import os
import subprocess
import sys
from pathlib import Path

from certificates import pki

PACKAGE_DIR = Path(pki.__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parents[1]


def test_no_module_imports_django():
    imported = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                imported += [(path.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.append((path.name, node.module))
    assert imported  # the walk did see the imports
    assert [(name, module) for name, module in imported if module.split(".")[0] == "django"] == []


def test_every_module_imports_without_django_or_its_settings():
    # A fresh interpreter, so that nothing the test run already imported can hide an import.
    script = (
        "import pkgutil, sys\n"
        "import certificates.pki as pki\n"
        "names = [m.name for m in pkgutil.walk_packages(pki.__path__, 'certificates.pki.')]\n"
        "for name in names:\n"
        "    __import__(name)\n"
        "print(len(names), sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, cwd=PROJECT_DIR, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    count, django_modules = result.stdout.split(" ", 1)
    assert int(count) >= 7
    assert django_modules.strip() == "[]"


def test_public_names_resolve():
    assert sorted(pki.__all__) == sorted(set(pki.__all__))
    assert [name for name in pki.__all__ if not hasattr(pki, name)] == []
