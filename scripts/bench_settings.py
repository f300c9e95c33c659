"""Settings for the servers the benchmarks start (``make load``, ``bench.py pages``): the site's own
settings, unchanged, but for a URLconf that adds one bare Django template page to compare against.

Never used by the site itself: only scripts/ put this module on the path.
"""

from pathlib import Path

from certcenter.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"

# The bare page's template (scripts/templates/bench/bare.html).
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]  # noqa: F405
