"""The README's handset-API example is the browser test that runs: the two must not drift apart."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "# --- README: from here to the end of the file"


def readme_block_after(heading_text: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(heading_text)
    match = re.compile(r"```python\n(.*?)```", re.DOTALL).search(readme, start)
    assert match, heading_text
    return match.group(1)


def test_the_handset_api_example_is_the_e2e_test():
    example = readme_block_after("A pytest + Playwright test that walks the wizard with it")
    source = (ROOT / "tests" / "e2e" / "test_handset_api.py").read_text(encoding="utf-8")
    body = source[source.index(MARK):].split("\n", 1)[1]
    # The README shows the imports the test needs, then the test from the marker on, verbatim.
    first_line = 'TOKEN = "handset-test-token"'
    imports, _sep, rest = example.partition(first_line)
    assert first_line + rest == body
    for line in imports.strip().splitlines():
        assert line in source, line
