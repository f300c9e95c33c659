"""The project's templates hold no inline script or style, so the Content-Security-Policy can forbid
both: every script and stylesheet is a static file."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

# An inline <script> (one without src), a <style> block, a style="…" attribute, an on…= event
# handler, or a javascript: URL: each is refused by script-src/style-src 'self'.
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\ssrc\s*=)[^>]*>", re.I),
    "style block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def inline_code(text: str) -> list[str]:
    return [kind for kind, pattern in INLINE.items() if pattern.search(text)]


def project_templates() -> list[Path]:
    """Every template in a directory the project owns (its DIRS and its own apps), admin overrides
    included; Django's and third-party apps' templates under site-packages are not ours."""
    base = Path(settings.BASE_DIR).resolve()
    found = []
    for directory in engines["django"].template_dirs:
        directory = Path(directory).resolve()
        if directory.is_relative_to(base) and ".venv" not in directory.parts:
            found += sorted(p for p in directory.rglob("*") if p.suffix in {".html", ".txt"})
    return found


def test_the_scan_covers_every_template_directory():
    names = {p.relative_to(settings.BASE_DIR).as_posix() for p in project_templates()}
    assert "templates/base.html" in names
    assert "templates/500.html" in names
    assert "certificates/templates/certificates/wizard/base.html" in names
    assert "certificates/templates/admin/certificates/certificate/change_form.html" in names
    assert "verification/templates/verification/handset_phone.html" in names


@pytest.mark.parametrize(
    ("snippet", "kind"),
    [
        ("<script>alert(1)</script>", "inline script"),
        ('<script type="module">x()</script>', "inline script"),
        ("<STYLE>p{}</STYLE>", "style block"),
        ('<p style="color:red">', "style attribute"),
        ("<div\n  style='x'>", "style attribute"),
        ('<button onclick="go()">', "event handler"),
        ("<body onload=init()>", "event handler"),
        ('<a href="javascript:void(0)">', "javascript: URL"),
    ],
)
def test_the_scan_finds_inline_code(snippet, kind):
    assert kind in inline_code(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/js/wizard.js" defer></script>',
        '<link rel="stylesheet" href="/static/css/site.css">',
        '<div data-keypad hidden role="group">',
        '<input data-onchange="x" aria-describedby="id_pin_error">',
    ],
)
def test_the_scan_allows_static_files_and_data_attributes(snippet):
    assert inline_code(snippet) == []


@pytest.mark.parametrize(
    "template", project_templates(), ids=lambda p: p.relative_to(settings.BASE_DIR).as_posix()
)
def test_no_inline_script_or_style(template):
    assert inline_code(template.read_text(encoding="utf-8")) == []
