"""funcgrad's pytest plugin: hypothesis profiles and a `check_derivatives` fixture.

Installed with funcgrad (the `pytest11` entry point "funcgrad"), it is
active in every pytest run; from a source checkout, enable it with
`pytest -p funcgrad.pytest_plugin` or `pytest_plugins = ["funcgrad.pytest_plugin"]`
in a top-level conftest. It gives:

- `--funcgrad-profile=ci` (or `dev`), or `funcgrad_profile = "ci"` in the
  pytest ini options, which loads the hypothesis profile "funcgrad-ci"
  (derandomized, 20 examples, no deadline, no database: the same examples
  on every machine) or "funcgrad-dev" (200 random examples, no deadline), so
  `@given` tests of funcgrad code need no settings of their own;
- a `check_derivatives` fixture: `funcgrad.testing.check_derivatives`.

Without the option nothing is loaded: the active hypothesis profile stays
the one a conftest or `--hypothesis-profile` chose. The plugin imports
hypothesis only when it is used, so a project without hypothesis is not
affected by it.
"""

from __future__ import annotations

from typing import Any

import pytest

_CHOICES = ("ci", "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("funcgrad")
    group.addoption(
        "--funcgrad-profile",
        choices=_CHOICES,
        default=None,
        help="load the hypothesis profile funcgrad-ci (derandomized, bounded) "
        "or funcgrad-dev (200 random examples).",
    )
    parser.addini(
        "funcgrad_profile",
        help="hypothesis profile to load, as --funcgrad-profile: ci or dev.",
        default="",
    )


def _requested(config: pytest.Config) -> str | None:
    name = config.getoption("funcgrad_profile") or config.getini("funcgrad_profile")
    if not name:
        return None
    if name not in _CHOICES:
        raise pytest.UsageError(
            f"funcgrad_profile = {name!r} is not a funcgrad profile; use "
            f"{' or '.join(_CHOICES)}."
        )
    if config.getoption("--hypothesis-profile", None):
        raise pytest.UsageError(
            "Both --funcgrad-profile and --hypothesis-profile choose the "
            "hypothesis profile; give only one."
        )
    return name


def pytest_configure(config: pytest.Config) -> None:
    name = _requested(config)
    if name is None:
        return
    try:
        from hypothesis import settings

        from funcgrad.testing import PROFILES
    except ImportError as err:
        raise pytest.UsageError(
            f"--funcgrad-profile needs hypothesis: `pip install hypothesis`. ({err})"
        ) from None
    settings.load_profile(PROFILES[name])
    config.stash[_loaded] = PROFILES[name]


_loaded = pytest.StashKey[str]()


def pytest_report_header(config: pytest.Config) -> str | None:
    name = config.stash.get(_loaded, None)
    return f"funcgrad: hypothesis profile {name!r}" if name else None


@pytest.fixture
def check_derivatives() -> Any:
    """`funcgrad.testing.check_derivatives`, without the import.

    ```python
    def test_my_loss(check_derivatives):
        check_derivatives(my_loss, params_like(PARAMS), arrays(shape=(8, 3)))
    ```
    """
    from funcgrad.testing import check_derivatives as check

    return check
