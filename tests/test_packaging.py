"""The project as a package: settings stand alone, and `pip install .` carries every app."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent

# The project's own apps: every folder of the repository with an AppConfig.
APPS = sorted(path.parent.name for path in BASE_DIR.glob("*/apps.py"))

# Which project modules a fresh interpreter holds after importing one module.
LIST_PROJECT_MODULES = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
apps = set(json.loads(sys.argv[2]))
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in apps)))
"""


def project_modules_imported_by(module):
    # A fresh process with production's variables set, so production's own refusals
    # (no secret key, no encryption keys) don't stop the import before it is inspected.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        SAYSO_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DJANGO_SETTINGS_MODULE="sayso.settings.production",
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-c", LIST_PROJECT_MODULES, module, json.dumps(APPS)],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_apps_found_are_the_projects_apps():
    for app in ("accounts", "advisory", "compensation", "consent", "core", "portal", "stories"):
        assert app in APPS
    assert "site" not in APPS  # the project package (sayso) is not an app


@pytest.mark.parametrize(
    "settings_module",
    [
        "sayso.settings.base",
        "sayso.settings.production",
        "sayso.settings.dev",
        "sayso.settings.test",
    ],
)
def test_settings_import_no_app_code(settings_module):
    assert project_modules_imported_by(settings_module) == []


def test_the_settings_check_sees_app_code_when_a_module_imports_it():
    # The same inspection run on an app module (one that needs no Django set-up) names it.
    assert project_modules_imported_by("core.text.redaction") == [
        "core",
        "core.text",
        "core.text.redaction",
    ]
