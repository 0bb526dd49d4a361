"""The package list, with ``conf/`` shipped inside the wheel as ``core/conf/`` (``core.config.CONF_DIR``).

Everything else is in pyproject.toml. ``conf/`` stays at the top of the checkout, where the docs and
every command name it; setuptools can map a folder into a package only from here, next to the
packages it finds, so the package list and its data live here too.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["core*", "harness*", "methods*", "evals*"]), "core.conf"],
    package_dir={"core.conf": "conf"},
    package_data={
        "core": ["assets/*"],
        "core.conf": ["*.yaml", "**/*.yaml"],
        "harness": ["models/shipped/**/*"],  # the tiny model, built by harness.models.tiny --ship
        # each benchmark folder: its lm-eval task, its README and its samples (fixtures/real/: the real rows a
        # preset evaluates on)
        "evals.benchmarks": ["*/task.yaml", "*/README.md", "*/fixtures/**/*"],
    },
)
