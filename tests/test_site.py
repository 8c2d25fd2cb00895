"""The documentation builds as a site with `mkdocs build --strict`: every
page in the nav exists, every link and anchor between pages resolves, and
the API pages find their docstrings.

It needs the `docs` extra (`pip install -e ".[docs]"`); without mkdocs the
test is skipped, as it is in CI, which installs only `.[test]`.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # The picture of the gradient is a Mermaid diagram the browser draws.
    page = (site / "how-grad-works" / "index.html").read_text()
    assert '<pre class="mermaid">' in page
    # The API reference is generated from the docstrings.
    api = (site / "api" / "index.html").read_text()
    assert 'id="funcgrad.grad"' in api
    # The examples' pages show their plots.
    for name in ("mlp_digits", "curve_fit", "char_rnn", "ode_fit"):
        html = (site / "examples" / name / "index.html").read_text()
        assert re.search(rf'<img [^>]*src="\.\./img/{name}\.png"', html), name
        assert (site / "examples" / "img" / f"{name}.png").exists()


def test_every_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {
        p.relative_to(ROOT / "docs").as_posix()
        for p in (ROOT / "docs").rglob("*.md")
        if "_ext" not in p.parts
    }
    listed = set(re.findall(r"([\w/.-]+\.md)\s*$", nav, re.M))
    assert pages <= listed, sorted(pages - listed)
    assert listed <= pages, sorted(listed - pages)


def test_example_plots_are_small():
    images = sorted((ROOT / "docs" / "examples" / "img").glob("*.png"))
    assert len(images) >= 4
    for image in images:
        assert image.stat().st_size < 100_000, image.name
