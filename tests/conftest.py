"""Test-wide settings.

CI (the environment sets ``CI``) runs hypothesis derandomized: the same examples on every run, so a
red CI is a reproducible failure rather than an unlucky draw. Local runs keep drawing fresh random
examples, which is how the properties find new counterexamples.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
