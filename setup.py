"""Which folders `pip install .` installs; everything else about the package is in pyproject.toml.

Every app folder of the repository is found on its own, so a new app is packaged without a
change here. Python reserves the module name `site`, so the project folder site/ is installed
as `sayso`, and the project-wide templates/ and static/ go inside it as package data.
"""

from setuptools import find_packages, setup

# site/ is installed as `sayso`; tests, benchmarks and the one-machine stack (deploy/) run from a
# checkout.
NOT_INSTALLED = ["site", "site.*", "tests", "tests.*", "bench", "bench.*", "deploy", "deploy.*"]

setup(
    packages=[
        *find_packages(exclude=NOT_INSTALLED),
        "sayso",
        "sayso.settings",
        "sayso.templates",
        "sayso.static",
    ],
    package_dir={
        "sayso": "site",
        "sayso.templates": "templates",
        "sayso.static": "static",
    },
    package_data={
        # Apps' own templates and static files (workspace/templates/…).
        "": ["templates/**/*", "static/**/*"],
        "sayso.templates": ["**/*"],
        "sayso.static": ["**/*"],
    },
)
