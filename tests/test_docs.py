"""The programs printed in docs/how-grad-works.md are the real ones."""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

DOC = pathlib.Path(__file__).parent.parent / "docs" / "how-grad-works.md"


def test_how_grad_works_blocks_print_what_the_doc_shows():
    blocks = re.findall(r"```(\w*)\n(.*?)```", DOC.read_text(), re.S)
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
    assert checked == 3
