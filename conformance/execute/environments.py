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
taken from where pip finds it (PyTorch's CPU wheel index given with
``--pip-arg=--extra-index-url=URL``), and pip's resolution is checked (``pip install
--dry-run --report``) for CUDA packages pulled in by anything else.
"""

from __future__ import annotations

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

from conformance.tomlfile import read_toml, table_at

__all__ = [
    "WORKER_PACKAGES",
    "Environment",
    "BuildError",
    "Requirement",
    "cache_root",
    "create_environment",
    "cuda_problem",
    "default_env_dir",
    "interpreter_path",
    "load_environments",
    "parse_requirement",
    "read_registry",
    "record_environment",
    "registry_path",
    "registry_tables",
    "torch_problem",
]

# a worker imports these and the adapters package
WORKER_PACKAGES = ("numpy", "ml_dtypes", "packaging")
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
        return read_toml(path, "the environment registry")
    except ValueError as exc:
        raise ValueError(f"{exc}; fix or delete it (conformance env create writes it "
                         "again)") from None


def registry_tables(path: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    if not path.exists():
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
    return registry_tables(path or registry_path())[0]


def _quote(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string


def record_environment(name: str, python: str, packages: Sequence[str],
                       path: Path | None = None) -> Path:
    """Add or replace NAME in the registry (written atomically); returns the registry path."""
    from reports import write_atomic

    path = path or registry_path()
    envs, pkgs = registry_tables(path)
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
                "(with PyTorch's CPU wheel index as --pip-arg=--extra-index-url=URL where "
                "pip does not already see it)")
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
    from conformance.execute.isolation import Worker, WorkerFailed

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
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"--dir {directory}: is a file; give an empty or new directory")
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
        wanted = [*packages, *WORKER_PACKAGES]
        pip = [str(target), "-m", "pip", "install", "--disable-pip-version-check", *pip_args]
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


def load_environments(pyproject: Path | None, registry: Path | str | None = "default"
                      ) -> dict[str, str]:
    """Name -> path of a Python interpreter: the environments ``conformance env create``
    recorded in ``registry`` (``"default"``: registry_path(); None: none), those whose
    interpreter is gone left out, overridden by ``[tool.conformance.environments]`` of
    ``pyproject``."""
    envs: dict[str, str] = {}
    if registry is not None:
        path = registry_path() if registry == "default" else Path(registry)
        envs = {k: v for k, v in read_registry(path).items() if Path(v).is_file()}
    if pyproject is None or not pyproject.exists():
        return envs
    table = table_at(read_toml(pyproject, "a pyproject.toml"), pyproject,
                     ("tool", "conformance", "environments"))
    if not all(isinstance(v, str) for v in table.values()):
        raise ValueError(f"{pyproject}: [tool.conformance.environments] must map names to "
                         "interpreter paths")
    return {**envs, **table}
