"""The code in the docs pages runs, and prints what the pages show.

Each `python` block of a page runs, in one namespace per page, and what it
prints must equal the next block of another language (unlabelled for
plain output; `mermaid` or `dot` where the output is a diagram the site
draws). Shell commands and other text that cannot run carry a label
(`sh`, `text`) and are not compared.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).parent.parent / "docs"

# page -> how many outputs it shows
PAGES = {
    "getting-started.md": 4,
    "how-grad-works.md": 8,
    "transforms.md": 15,
    "control-flow.md": 7,
    "sharp-bits.md": 8,
    "testing.md": 3,
    "debugging.md": 6,
    "performance.md": 2,
}
# pages whose blocks other test modules run
TESTED_ELSEWHERE = {"conventions.md": "test_complex.py", "fft.md": "test_fft.py"}


def code_blocks(doc: pathlib.Path) -> list[tuple[str, str]]:
    return re.findall(r"```(\w*)\n(.*?)```", doc.read_text(), re.S)


def run_blocks(doc: pathlib.Path) -> int:
    """Run the python blocks of `doc` in one namespace; compare what each
    prints with the block that follows it, if that is not python. Returns
    how many outputs were compared."""
    namespace: dict = {}
    pending = None
    checked = 0
    for lang, body in code_blocks(doc):
        if lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(body, namespace)
            pending = out.getvalue()
        elif pending is not None:
            assert pending.strip() == body.strip()
            checked += 1
            pending = None
    return checked


@pytest.mark.parametrize("page", sorted(PAGES))
def test_blocks_print_what_the_doc_shows(page):
    assert run_blocks(DOCS / page) == PAGES[page]


def test_every_page_with_python_blocks_is_run():
    with_python = {
        p.relative_to(DOCS).as_posix()
        for p in DOCS.rglob("*.md")
        if any(lang == "python" for lang, _ in code_blocks(p))
    }
    assert with_python <= set(PAGES) | set(TESTED_ELSEWHERE)


def test_unlabelled_blocks_are_outputs():
    """A block without a language is the output of the python block before
    it; anything else (a command, a traceback) says what it is."""
    for doc in sorted(DOCS.rglob("*.md")):
        after_python = False
        for lang, body in code_blocks(doc):
            if lang == "python":
                after_python = True
                continue
            assert lang or after_python, f"{doc.name}: unlabelled block {body[:40]!r}"
            after_python = False
