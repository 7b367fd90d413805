"""Hypothesis profiles: `ci`, the full counts, where the `CI` environment variable is true, and
`dev`, a fifth of them, for everyday runs. `HYPOTHESIS_PROFILE` picks one by name.

`ci` is derandomized: a CI run tries the same examples every time, so its verdict depends on the
code, not on chance. Everyday runs keep searching at random, and Hypothesis replays what they
found from its example database (`.hypothesis/`).

A test that sets its own count asks `examples(n)`: n under `ci`, scaled like the default
elsewhere, so `@settings(max_examples=examples(500))` runs 500 examples in CI and 100 in `dev`.
"""

from __future__ import annotations

import os

from hypothesis import settings

FULL = 100  # Hypothesis's own default count, the one CI runs
PROFILES = {"ci": FULL, "dev": FULL // 5}


def chosen_profile() -> str:
    named = os.environ.get("HYPOTHESIS_PROFILE")
    if named:
        return named
    ci = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    return "ci" if ci else "dev"


def load_profile() -> str:
    """Register the profiles and load the chosen one; returns its name."""
    for name, count in PROFILES.items():
        settings.register_profile(name, max_examples=count, derandomize=name == "ci")
    name = chosen_profile()
    settings.load_profile(name)
    return name


def examples(full: int) -> int:
    """A test's own example count under the loaded profile: `full` under `ci`."""
    loaded = settings.default
    count = loaded.max_examples if loaded is not None else FULL
    return max(1, full * count // FULL)
