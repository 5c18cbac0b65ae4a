"""What the README and the example workflow promise about the CLI matches the repository (issue 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_readme_links_and_named_paths_exist() -> None:
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert links
    for link in links:
        if not link.startswith(("http://", "https://")):
            assert (ROOT / link).exists(), link
    for path in re.findall(r"`((?:docs|examples|specs|shared)/[^`*<> ]+)`", README):
        assert (ROOT / path).exists(), path


def test_readme_does_not_install_an_unpublished_package() -> None:
    for text in (README, (ROOT / "examples/github-actions/modelarts.yml").read_text()):
        assert not re.search(r"pip install ['\"]?pulumi-modelarts(?!\s*@)(['\"\s]|$)", text, re.MULTILINE)
    assert "pip install ." in README and ".whl" in README


@pytest.mark.parametrize("spec", ["specs/promotion.yaml", "specs/autolabel.yaml"])
def test_readme_spec_listings_are_the_files(spec: str) -> None:
    listing = README.split(f"`{spec}`", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    shipped = (ROOT / spec).read_text()
    body = "\n".join(line for line in shipped.splitlines() if not line.startswith("#"))
    assert re.sub(r"\s+# <-.*", "", listing).strip() == re.sub(r"\s+# <-.*", "", body).strip()


def test_readme_has_the_exit_code_table() -> None:
    table = README.split("**Exit codes**", 1)[1]
    assert "| `plan` |" in table and "| `apply` |" in table and "130" in table and "blocked" in table
