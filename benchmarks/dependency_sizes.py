"""Installed size of sqlflow-magic's dependencies, each counted with its own transitive dependencies.

For every distribution named on the command line (default: the heavy ones ``docs/dependencies.md``
discusses), three figures, in MiB of the files its ``RECORD`` lists (``__pycache__`` included, as
installed):

- ``own``: the distribution alone;
- ``closure``: it and everything it requires, transitively (extras not counted, markers evaluated);
- ``saved``: what leaving it out would save: the part of its closure that nothing else of the group
  (``--group``: the required dependencies of sqlflow-magic, by default) needs.

Only installed distributions are counted; a requirement that is not installed is listed as missing.

    python benchmarks/dependency_sizes.py [DIST ...] [--group required|jupyter|test|NAME,NAME,...]
"""

from __future__ import annotations

import argparse
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "igraph", "pandas", "sqlglot", "uvicorn", "starlette", "croniter", "pyjwt", "platformdirs",
    "python-multipart", "anywidget", "ipywidgets", "httpx", "ipython",
    "ipykernel", "nbclient", "nbformat", "nbconvert",
)  # fmt: skip
MIB = 1024 * 1024


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def distribution(name: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


@cache
def own_size(name: str) -> int:
    dist = distribution(name)
    if dist is None or dist.files is None:
        return 0
    total = 0
    for file in dist.files:
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            total += path.stat().st_size
    return total


@cache
def requires(name: str) -> tuple[str, ...]:
    dist = distribution(name)
    if dist is None:
        return ()
    found = []
    for text in dist.requires or []:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        found.append(canonical(requirement.name))
    return tuple(found)


def closure(names: list[str]) -> set[str]:
    seen: set[str] = set()
    pending = [canonical(n) for n in names]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(requires(name))
    return seen


def project_requirements(group: str) -> list[str]:
    """The project's required dependencies, or those of one extra, from ``pyproject.toml``."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    texts = project["dependencies"] if group == "required" else project["optional-dependencies"][group]
    return [canonical(Requirement(text).name) for text in texts]


def mib(size: int) -> str:
    return f"{size / MIB:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dists", nargs="*", default=list(HEAVY))
    parser.add_argument("--group", default="required")
    args = parser.parse_args()
    if args.group in ("required", "jupyter", "test", "bench"):
        group = project_requirements(args.group)
    else:
        group = [canonical(n) for n in args.group.split(",")]
    print(f"Python {sys.version.split()[0]}, site-packages of {sys.prefix}; group '{args.group}': {', '.join(group)}")
    print(f"{'distribution':<18} {'version':<10} {'own MiB':>8} {'closure MiB':>12} {'saved MiB':>10}  closure")
    for name in map(canonical, args.dists):
        dist = distribution(name)
        if dist is None:
            print(f"{name:<18} not installed")
            continue
        mine = closure([name])
        others = closure([g for g in group if g != name])
        saved = mine - others
        missing = sorted(n for n in mine if distribution(n) is None)
        print(
            f"{name:<18} {dist.version:<10} {mib(own_size(name)):>8} {mib(sum(map(own_size, mine))):>12} "
            f"{mib(sum(map(own_size, saved))):>10}  {len(mine) - len(missing)} dists"
            + (f" (not installed: {', '.join(missing)})" if missing else "")
        )
    total = closure(group)
    print(f"{'the whole group':<29} {'':>8} {mib(sum(map(own_size, total))):>12} {'':>10}  {len(total)} dists")


if __name__ == "__main__":
    main()
