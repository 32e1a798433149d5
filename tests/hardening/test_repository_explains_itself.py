"""The repository explains itself: what the code and the docs point to is in the repository, and
``docs/architecture.md`` lists the package's modules as they are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sqlflow_magic"
DOCS = sorted((ROOT / "docs").glob("*.md"))
#: Where code and prose live (fixtures and notebooks are data).
SOURCES = [*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py"),
           ROOT / "README.md", *DOCS, ROOT / ".ci" / "run", ROOT / "pyproject.toml"]
DOC_REFERENCE = re.compile(r"\bdocs/([\w-]+\.md)(#[\w-]+)?")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


def test_every_docs_reference_names_a_page_and_a_heading_that_exist():
    checked = 0
    for source in SOURCES:
        for page, anchor in DOC_REFERENCE.findall(source.read_text(encoding="utf-8")):
            target = ROOT / "docs" / page
            assert target.is_file(), f"{source.relative_to(ROOT)} points to docs/{page}, which does not exist"
            if anchor:
                assert anchor[1:] in anchors(target), f"{source.relative_to(ROOT)}: no heading {anchor} in docs/{page}"
            checked += 1
    assert checked > 30


def test_every_relative_link_of_the_readme_and_the_docs_resolves():
    for page in [ROOT / "README.md", *DOCS]:
        for link in MARKDOWN_LINK.findall(page.read_text(encoding="utf-8")):
            if link.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            assert target.exists(), f"{page.relative_to(ROOT)} links to {link}, which does not exist"
            if anchor and target.suffix == ".md":
                assert anchor in anchors(target), f"{page.relative_to(ROOT)} links to {link}: no such heading"


def test_nothing_points_outside_the_repository():
    outside = re.compile(r"/work/|\.\./shared|\bshared/notes\b|the project notes|of the notes\b")
    for source in SOURCES:
        if source == Path(__file__):
            continue
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            assert not outside.search(line), f"{source.relative_to(ROOT)}:{number} points outside: {line.strip()}"


def test_the_architecture_page_lists_every_module_of_the_package():
    tree = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed_folders = ("server/lineage", "server/exports")  # listed as folders, with their own pages
    for module in sorted(PACKAGE.rglob("*.py")):
        relative = module.relative_to(PACKAGE).as_posix()
        if module.name in ("__init__.py", "_version.py") or relative.startswith(listed_folders):
            continue
        listed = re.search(rf"(?<![\w/]){re.escape(module.name)}\b", tree)
        assert listed, f"docs/architecture.md does not list {relative}"


def test_the_readme_stays_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 150, f"README.md has {lines} lines: move the detail into docs/ and link it"
