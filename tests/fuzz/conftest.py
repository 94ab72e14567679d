"""Settings of the fuzz harness: a short run in every test session, a long one on demand.

The number of examples per target comes from ``TRIANGLE_FUZZ_EXAMPLES`` (default 200,
about 15 s for the whole folder). The long run, before a release or after touching
``load.py``, ``fields.py`` or ``markup.py``::

    TRIANGLE_FUZZ_EXAMPLES=100000 python3 -m pytest tests/fuzz

Hypothesis keeps the failing examples it finds in ``.hypothesis/`` and replays them
first next time; a failure prints the smallest input that reproduces it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

EXAMPLES = int(os.environ.get("TRIANGLE_FUZZ_EXAMPLES", "200"))

settings.register_profile(
    "triangle-fuzz",
    max_examples=EXAMPLES,
    deadline=None,  # a shared CI machine has slow moments; hangs are caught by the time ceilings in the tests
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No "explain" phase: it reruns each failure many times to comment on it, which costs more
    # than it tells about a parser; the falsifying example is printed all the same.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
FUZZ = settings.get_profile("triangle-fuzz")
