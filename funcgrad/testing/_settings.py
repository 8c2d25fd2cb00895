"""The hypothesis profiles funcgrad.testing registers: "funcgrad-ci" and "funcgrad-dev".

- "funcgrad-ci": derandomized (the same examples on every run and every
  machine, so a red CI run can be reproduced), 20 examples, no example
  database, no deadline, and the blob to replay a failure printed.
- "funcgrad-dev": 200 random examples, no deadline, for a wider hunt.

No deadline in either: the first call of a function may trace it and compile
kernels, which takes far longer than later calls. Registering a profile does
not load it; load one with `hypothesis.settings.load_profile`, or with
`pytest --funcgrad-profile=ci` when the pytest plugin is active.
"""

from __future__ import annotations

from hypothesis import settings

PROFILES = {"ci": "funcgrad-ci", "dev": "funcgrad-dev"}


def register_profiles() -> None:
    """Register the "funcgrad-ci" and "funcgrad-dev" hypothesis profiles.

    >>> from hypothesis import settings
    >>> register_profiles()
    >>> settings.get_profile("funcgrad-ci").derandomize
    True
    """
    settings.register_profile(
        PROFILES["ci"],
        derandomize=True,
        max_examples=20,
        deadline=None,
        database=None,
        print_blob=True,
    )
    settings.register_profile(PROFILES["dev"], max_examples=200, deadline=None)
