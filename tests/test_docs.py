"""The programs and outputs printed in the docs pages are the real ones.

Each `python` block of a page runs, in one namespace per page, and what it
prints must be the unlabelled block that follows it.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize(
    "page, outputs", [("how-grad-works.md", 3), ("control-flow.md", 7)]
)
def test_blocks_print_what_the_doc_shows(page, outputs):
    blocks = re.findall(r"```(\w*)\n(.*?)```", (DOCS / page).read_text(), re.S)
    namespace: dict = {}
    pending = None
    checked = 0
    for lang, body in blocks:
        if lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(body, namespace)
            pending = out.getvalue()
        elif pending is not None:
            assert pending.strip() == body.strip()
            checked += 1
            pending = None
    assert checked == outputs
