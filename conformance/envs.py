"""``conformance env create|list``: named Python environments for adapters that cannot share
this one (MXNet 1.9.1 needs numpy < 1.24; two releases of one library side by side).

``env create NAME --packages PKG ...`` builds a virtual environment with ``python -m venv``
at ``$XDG_CACHE_HOME/softmax-conformance/envs/NAME`` (or ``--dir``), pip-installs the
packages together with what a worker needs (numpy and ml_dtypes, resolved under the
user's constraints), checks that a worker starts there, and records NAME -> interpreter
in the registry ``$XDG_CACHE_HOME/softmax-conformance/environments.toml``, which
``conformance run`` reads (``[tool.conformance.environments]`` and ``--env`` override it).
Running it again on the same directory installs into the existing environment.

An environment never pulls a CUDA build of torch (several GB): a bare ``torch`` or a
range is refused before anything is built, a pinned CPU build (``torch==X+cpu``) is
fetched from the PyTorch CPU index, and pip's resolution is checked (``pip install
--dry-run --report``) for CUDA packages pulled in by anything else.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "TORCH_CPU_INDEX",
    "WORKER_PACKAGES",
    "Environment",
    "BuildError",
    "Requirement",
    "add_env_parser",
    "cache_root",
    "create_environment",
    "cuda_problem",
    "default_env_dir",
    "interpreter_path",
    "parse_requirement",
    "read_registry",
    "record_environment",
    "registry_path",
    "torch_problem",
]

WORKER_PACKAGES = ("numpy", "ml_dtypes")  # a worker imports these and the adapters package
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_FAMILY = ("torch", "torchvision", "torchaudio")  # each pulls torch, so CUDA by default
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<extras>\[[^\]]*\])?\s*"
    r"(?:@\s*(?P<url>\S+)|(?P<spec>[^;]*))\s*(?:;.*)?$"
)


class BuildError(Exception):
    """Building or checking an environment failed (pip, venv or the worker): exit 1."""


# -- where things live -------------------------------------------------------------------


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/softmax-conformance`` (``~/.cache/softmax-conformance``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "softmax-conformance"


def registry_path() -> Path:
    return cache_root() / "environments.toml"


def default_env_dir(name: str) -> Path:
    return cache_root() / "envs" / name


def interpreter_path(env_dir: Path) -> Path:
    if os.name == "nt":
        return env_dir / "Scripts" / "python.exe"
    return env_dir / "bin" / "python"


# -- the registry --------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the environment registry: {exc}; fix or "
                         "delete it (conformance env create writes it again)") from None


def _registry_tables(path: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    if not path.is_file():
        return {}, {}
    data = _read_toml(path)
    envs, packages = data.get("environments", {}), data.get("packages", {})
    if not isinstance(envs, dict) or not all(isinstance(v, str) for v in envs.values()):
        raise ValueError(f"{path}: [environments] must map names to interpreter paths")
    if not isinstance(packages, dict):
        packages = {}
    return dict(envs), {k: list(v) for k, v in packages.items() if isinstance(v, list)}


def read_registry(path: Path | None = None) -> dict[str, str]:
    """Name -> interpreter, as ``conformance env create`` recorded them (all of them, even
    those whose interpreter is gone; config.load_environments drops those)."""
    return _registry_tables(path or registry_path())[0]


def _quote(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string


def record_environment(name: str, python: str, packages: Sequence[str],
                       path: Path | None = None) -> Path:
    """Add or replace NAME in the registry (written atomically); returns the registry path."""
    from reports import write_atomic

    path = path or registry_path()
    envs, pkgs = _registry_tables(path)
    envs[name], pkgs[name] = python, list(packages)
    lines = ["# Environments made by `conformance env create`: name = interpreter.",
             "# [tool.conformance.environments] in pyproject.toml and --env NAME=PYTHON "
             "override these.", "[environments]"]
    lines += [f"{_quote(k)} = {_quote(v)}" for k, v in sorted(envs.items())]
    lines += ["", "[packages]"]
    lines += [f"{_quote(k)} = [{', '.join(map(_quote, v))}]" for k, v in sorted(pkgs.items())]
    write_atomic(path, "\n".join(lines) + "\n")
    return path


# -- what may be installed ----------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """A pip requirement as far as the torch rule needs it."""

    text: str
    name: str  # normalised (PEP 503): lower case, runs of -_. as "-"; "" for a path or URL
    spec: str = ""  # the version specifier, e.g. "==2.3.1+cpu" or ">=2,<3"
    url: str = ""  # for "name @ url"


def parse_requirement(text: str) -> Requirement:
    m = _REQUIREMENT.match(text)
    looks_like_path = "/" in text.split("@")[0] or text.endswith((".whl", ".tar.gz", ".zip"))
    if m is None or looks_like_path:
        return Requirement(text, "", "", text.strip())
    name = re.sub(r"[-_.]+", "-", m["name"]).lower()
    return Requirement(text, name, (m["spec"] or "").replace(" ", ""), m["url"] or "")


def _cuda_by_default(platform: str) -> bool:
    """PyPI's torch is the CUDA build on Linux; on macOS and Windows it is the CPU build."""
    return platform.startswith("linux")


def _pinned_cpu(req: Requirement, platform: str) -> bool:
    if req.url:
        return "+cpu" in req.url or "/cpu/" in req.url
    pins = [s for s in req.spec.split(",") if s]
    if len(pins) != 1 or not pins[0].startswith("==") or "*" in pins[0]:
        return False
    return "+cpu" in pins[0] or not _cuda_by_default(platform)


def torch_problem(packages: Sequence[str], platform: str | None = None) -> str | None:
    """Why these packages might pull a CUDA build of torch, or None. Only a pinned CPU
    build of torch, torchvision or torchaudio passes: ``torch==2.3.1+cpu`` (on macOS and
    Windows, where PyPI's build is the CPU one, any ``==`` pin); platform: sys.platform."""
    platform = platform or sys.platform
    for text in packages:
        req = parse_requirement(text)
        name = req.name or next(
            (n for n in TORCH_FAMILY if re.search(rf"(^|/){n}-", req.url)), "")
        if name not in TORCH_FAMILY or _pinned_cpu(req, platform):
            continue
        if req.url:
            why = "not a CPU build (no '+cpu' in it)"
        else:
            why = ("unpinned" if not req.spec else "not a pinned CPU build") + (
                f"; pip would take {name} from PyPI, which on Linux is the CUDA build "
                "(several GB of nvidia-* wheels)")
        example = "torch==2.13.0+cpu" if name == "torch" else f"{name}==X.Y.Z+cpu"
        return (f"refusing {text!r}: {why}. Pin a CPU build, e.g. --packages '{example}' "
                f"(fetched from {TORCH_CPU_INDEX})")
    return None


def cuda_problem(pip_report: dict[str, Any], platform: str | None = None) -> str | None:
    """What in pip's ``--dry-run --report`` resolution is CUDA, or None."""
    platform = platform or sys.platform
    bad = []
    for item in pip_report.get("install", []):
        meta = item.get("metadata", {})
        name = re.sub(r"[-_.]+", "-", str(meta.get("name", ""))).lower()
        version = str(meta.get("version", ""))
        cuda = name.startswith(("nvidia-", "cuda-")) or name == "triton"
        if name in TORCH_FAMILY and _cuda_by_default(platform) and "+cpu" not in version:
            cuda = True
        if cuda:
            bad.append(f"{name} {version}")
    if not bad:
        return None
    return (f"refusing: pip would install a CUDA build ({', '.join(bad[:6])}"
            f"{', ...' if len(bad) > 6 else ''}); add a CPU build of torch to --packages, "
            "e.g. 'torch==2.13.0+cpu'")


# -- building ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    name: str
    directory: Path
    python: Path
    packages: tuple[str, ...]  # as requested
    versions: dict[str, str] = field(default_factory=dict)  # the worker's hello
    registry: Path | None = None


Runner = Callable[..., subprocess.CompletedProcess]


def _run(argv: list[str], what: str, run: Runner) -> subprocess.CompletedProcess:
    proc = run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout or "").strip().splitlines()[-15:])
        raise BuildError(f"{what} failed (exit {proc.returncode}): "
                                f"{' '.join(argv)}\n{tail}")
    return proc


def _worker_versions(python: Path) -> dict[str, Any]:
    from conformance.isolation import Worker, WorkerFailed

    worker = Worker(str(python))
    try:
        worker.start()
        return dict(worker.info)
    except WorkerFailed as exc:
        raise BuildError(f"a worker does not start in {python}: {exc.reason}") from None
    finally:
        worker.stop()


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"environment name {name!r}: use letters, digits, '_', '-' and '.' "
                         "(it becomes the suffix of --adapters 'PATTERN@NAME')")


def create_environment(
    name: str,
    packages: Sequence[str],
    *,
    python: str | None = None,
    directory: Path | None = None,
    registry: Path | None = None,
    pip_args: Sequence[str] = (),
    clear: bool = False,
    run: Runner = subprocess.run,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
) -> Environment:
    """Build (or update) the environment NAME and record it. ValueError for what the caller
    asked wrongly (a bad name, a torch that would be CUDA's), BuildError when venv,
    pip or the worker fail."""
    _check_name(name)
    packages = [p for p in packages if p.strip()]
    if not packages:
        raise ValueError("--packages: name at least one package, e.g. 'scipy==1.11.4'")
    problem = torch_problem(packages)
    if problem:
        raise ValueError(problem)
    base = python or sys.executable
    if shutil.which(base) is None and not Path(base).is_file():
        raise ValueError(f"--python {base}: no such interpreter")
    directory = Path(directory or default_env_dir(name)).expanduser().absolute()
    target = interpreter_path(directory)
    exists = (directory / "pyvenv.cfg").is_file() and target.is_file()
    if directory.exists() and not exists and any(directory.iterdir()):
        raise ValueError(f"--dir {directory}: exists and is not a virtual environment; "
                         "give an empty or new directory")
    fresh = clear or not exists
    if fresh:
        log(f"creating a virtual environment at {directory} with {base}")
        _run([base, "-m", "venv", *(["--clear"] if clear else []), str(directory)],
             "python -m venv", run)
    try:
        extra = [f"--extra-index-url={TORCH_CPU_INDEX}"] if any(
            "+cpu" in p for p in packages) else []
        wanted = [*packages, *WORKER_PACKAGES]
        pip = [str(target), "-m", "pip", "install", "--disable-pip-version-check", *extra,
               *pip_args]
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "resolution.json"
            log(f"resolving {' '.join(wanted)}")
            _run([*pip, "--dry-run", "--quiet", "--report", str(report), *wanted],
                 "pip install --dry-run", run)
            problem = cuda_problem(json.loads(report.read_text()))
        if problem:
            raise ValueError(problem)
        log("installing")
        _run([*pip, "--quiet", *wanted], "pip install", run)
        info = _worker_versions(target)
    except BaseException:
        if fresh:  # leave nothing half-built behind
            shutil.rmtree(directory, ignore_errors=True)
        raise
    versions = dict(info.get("versions", {}))
    path = record_environment(name, str(target), packages, registry)
    meta = {"name": name, "python": str(target), "python_version": info.get("python"),
            "packages": list(packages), "versions": versions,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    (directory / "conformance-env.json").write_text(json.dumps(meta, indent=1) + "\n")
    return Environment(name, directory, target, tuple(packages), versions, path)


# -- the command line ---------------------------------------------------------------------


def _cmd_create(args: argparse.Namespace) -> int:
    from conformance.cli import UsageError

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


def _cmd_list(args: argparse.Namespace) -> int:
    from conformance.cli import UsageError

    path = registry_path()
    try:
        envs, packages = _registry_tables(path)
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


def add_env_parser(sub: Any) -> None:
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
                        "--pip-arg=--index-url=https://...")
    create.add_argument("--clear", action="store_true",
                        help="delete what the directory holds first (python -m venv --clear)")
    create.set_defaults(func=_cmd_create)
    lst = cmds.add_parser("list", help="the environments recorded by env create")
    lst.set_defaults(func=_cmd_list)
