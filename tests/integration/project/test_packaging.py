"""The project as a package: settings stand alone, and `pip install .` carries every app."""

import json
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[3]

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
        EMAIL_URL="smtp+tls://sayso:secret@smtp.example.org:587",
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


# `pip install .`: the wheel carries every app, and the installed project runs on its own.

# site/ is installed as `sayso`; tests, benchmarks and the one-machine stack stay in the checkout.
NOT_INSTALLED = {"tests", "bench", "deploy", "build", "dist", "var"}


def installed_name(path):
    """Where a file of the checkout lands in the wheel."""
    parts = path.relative_to(BASE_DIR).parts
    if parts[0] == "site":
        return "/".join(("sayso", *parts[1:]))
    if parts[0] in ("templates", "static"):
        return "/".join(("sayso", *parts))
    return "/".join(parts)


def checkout_files(pattern):
    return [
        path
        for path in sorted(BASE_DIR.glob(pattern))
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.relative_to(BASE_DIR).parts[0] not in NOT_INSTALLED
        and not path.relative_to(BASE_DIR).parts[0].startswith(".")
    ]


def missing_from(wheel_files, paths):
    return [installed_name(path) for path in paths if installed_name(path) not in wheel_files]


# What a fresh clone holds: nothing built or run before (a stale build/ would slip old files in).
LEFT_OUT_OF_THE_COPY = shutil.ignore_patterns(
    ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # Built from a copy: setuptools writes build/ next to the sources.
    source = tmp_path_factory.mktemp("source") / "sayso"
    shutil.copytree(BASE_DIR, source, ignore=LEFT_OUT_OF_THE_COPY)
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (path,) = out.glob("sayso-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel_files(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_package_of_the_checkout(wheel_files):
    packages = checkout_files("**/__init__.py")
    assert len(packages) > 20
    assert missing_from(wheel_files, packages) == []
    for app in APPS:
        assert f"{app}/apps.py" in wheel_files
    assert "sayso/settings/production.py" in wheel_files
    assert "sayso/manage.py" in wheel_files


def test_the_wheel_holds_every_migration(wheel_files):
    migrations = checkout_files("*/migrations/*.py")
    assert "consent/migrations/0001_initial.py" in wheel_files
    assert missing_from(wheel_files, migrations) == []


def test_the_wheel_holds_every_template_and_static_file(wheel_files):
    shipped = checkout_files("templates/**/*") + checkout_files("static/**/*")
    shipped += checkout_files("*/templates/**/*") + checkout_files("*/static/**/*")
    assert "sayso/templates/base.html" in wheel_files
    assert "sayso/static/portal/portal.css" in wheel_files
    assert "workspace/templates/workspace/impact.html" in wheel_files
    assert missing_from(wheel_files, shipped) == []


def test_the_wheel_leaves_tests_and_benchmarks_out(wheel_files):
    assert not [name for name in wheel_files if name.split("/")[0] in NOT_INSTALLED | {"site"}]


def test_the_wheel_gives_the_sayso_command(wheel_files, wheel):
    (entry_points,) = [name for name in wheel_files if name.endswith("entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(entry_points).decode()
    assert "sayso = sayso.manage:main" in text


# Run where the checkout can't help: the project's code, templates and static files must all
# come from the installed wheel.
INSTALLED_PROJECT_REPORT = """
import json, django
django.setup()
from django.contrib.staticfiles import finders
from django.template.loader import get_template
import consent, core.text.diff, portal.views, sayso
print(json.dumps({
    "modules": [consent.__file__, core.text.diff.__file__, portal.views.__file__, sayso.__file__],
    "template": str(get_template("base.html").origin.name),
    "portal template": str(get_template("portal/base.html").origin.name),
    "app template": str(get_template("workspace/impact.html").origin.name),
    "static": finders.find("portal/portal.css"),
}))
"""


def test_the_installed_wheel_is_a_working_project(wheel, tmp_path):
    target = tmp_path / "installed"
    install = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.pop("DATABASE_URL", None)
    environment.update(
        PYTHONPATH=str(target),
        SAYSO_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="sayso.settings.dev",
    )
    (tmp_path / "var").mkdir()

    def run(*args):
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, *args],
            cwd=tmp_path,  # not the checkout: nothing is found next to the current folder
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    report = json.loads(run("-c", INSTALLED_PROJECT_REPORT))
    for path in [*report["modules"], *(v for k, v in report.items() if k != "modules")]:
        assert Path(path).is_relative_to(target), path
    assert "No changes detected" in run("-m", "sayso.manage", "makemigrations", "--check")
    assert "no issues" in run("-m", "sayso.manage", "check")
    # Migrating an empty database is tested on every run (pytest-django builds one), from
    # the same migration files this wheel is shown to hold.
