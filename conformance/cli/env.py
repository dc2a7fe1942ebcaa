"""``conformance env create|list``: Python environments for adapters that cannot share
this one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from conformance.cli.errors import UsageError

__all__ = ["add_parser"]


def _create(args: argparse.Namespace) -> int:
    from conformance.execute.environments import BuildError, create_environment

    try:
        env = create_environment(args.name, args.packages, python=args.python,
                                 directory=Path(args.dir) if args.dir else None,
                                 pip_args=args.pip_arg or (), clear=args.clear)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except BuildError as exc:
        print(f"conformance env create: {exc}", file=sys.stderr)
        return 1
    versions = ", ".join(f"{k} {v}" for k, v in env.versions.items())
    print(f"environment {env.name}: {env.python}")
    print(f"packages: {versions}")
    print(f"recorded in {env.registry}")
    print("run adapters there with:")
    print(f"  conformance run --adapters 'PATTERN@{env.name}'")
    print(f"  conformance run --env {env.name}={env.python} --adapters 'PATTERN@{env.name}'"
          "  (elsewhere, or to override)")
    return 0


def _list(args: argparse.Namespace) -> int:
    from conformance.execute.environments import registry_path, registry_tables

    path = registry_path()
    try:
        envs, packages = registry_tables(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not envs:
        print(f"no environments recorded in {path}; make one with: conformance env create "
              "NAME --packages ...")
        return 0
    width = max(map(len, envs))
    for name, python in sorted(envs.items()):
        state = "ok" if Path(python).is_file() else "missing"
        print(f"{name:<{width}}  {state:<7} {python}  ({' '.join(packages.get(name, []))})")
    return 0


def add_parser(sub: Any) -> None:
    from conformance.execute.environments import default_env_dir, registry_path

    """Register ``conformance env create`` and ``conformance env list``."""
    env = sub.add_parser("env", help="Python environments for adapters that cannot share "
                         "this one (create, list)")
    cmds = env.add_subparsers(dest="env_command", required=True, metavar="ACTION")
    create = cmds.add_parser(
        "create", help="build a virtual environment with venv and pip and record it",
        description="Build a virtual environment with venv and pip, record it in "
        f"{registry_path()} and print how to run adapters there. A torch that pip would "
        "take as a CUDA build is refused: pin a CPU build (torch==X.Y.Z+cpu).")
    create.add_argument("name", help="the environment's name: --adapters 'PATTERN@NAME'")
    create.add_argument("--packages", nargs="+", required=True, metavar="PKG",
                        help="pip requirements, e.g. 'mxnet==1.9.1' 'numpy<1.24'; numpy and "
                        "ml_dtypes (what a worker needs) are added under these constraints")
    create.add_argument("--python", help="the interpreter to build it from "
                        "(default: this one)")
    create.add_argument("--dir", help="where to build it (default: "
                        f"{default_env_dir('NAME')})")
    create.add_argument("--pip-arg", action="append", metavar="ARG",
                        help="an extra argument for pip install, e.g. "
                        "--pip-arg=--extra-index-url=URL (PyTorch's CPU wheel index for a "
                        "torch==X+cpu)")
    create.add_argument("--clear", action="store_true",
                        help="delete what the directory holds first (python -m venv --clear)")
    create.set_defaults(func=_create)
    lst = cmds.add_parser("list", help="the environments recorded by env create")
    lst.set_defaults(func=_list)
