"""The wheel's one build step beyond pyproject.toml: it carries the Lambda handlers and the state
machine definitions, which live at the repository's top level (``functions/``, ``statemachine/``),
under ``imgfan/cdk/bundle/``, so that the construct deploys them from an installed package
(``imgfan/cdk/assets.py``). An editable install reads them from the clone instead."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("functions", "statemachine")


class BuildPyWithBundle(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "imgfan" / "cdk" / "bundle"
        for name in BUNDLED:
            shutil.copytree(ROOT / name, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithBundle})
