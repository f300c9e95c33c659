"""Pages that are the same for every visitor but for their CSRF token, rendered once per process.

The wizard's first pages, for a visitor who has no flow yet (약관 동의; 본인 확인 with a terms pass),
show nothing of the visitor's: the text, an empty form, the step list. Rendering them is most of
their cost, so ``shared_page`` renders such a page once per process (per language, per the values
the site's context processor puts on every page, per what the caller names) with a placeholder
where ``{% csrf_token %}`` goes, and serves each request a copy with that request's own masked
token put in (``get_token``, which also sets the CSRF cookie as the tag would). A page with a
message waiting (a flow that just timed out, a fraud report ending one) is rendered as usual.

Not Django's per-view cache (``cache_page``): that would store the first visitor's CSRF token and
cookie for every later one.
"""

import secrets
import threading

from django.contrib import messages
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from certcenter.context_processors import simulated_clock_text

# Letters only, so escaping leaves it as it is; random, so no page text can hold it by chance.
CSRF_PLACEHOLDER = f"csrf{secrets.token_hex(16)}"
MAX_PAGES = 256

_pages: dict[tuple, tuple[bytes, str]] = {}
_lock = threading.Lock()


def shared_page(request, key: tuple, render) -> HttpResponse:
    """``render(csrf_token)`` (a response rendered with that token) once per ``key``, the language
    and the simulator's clock (what can change while the process runs; a changed setting drops
    every copy, below); this request's token in a copy of it."""
    if len(messages.get_messages(request)):
        return render(None)
    full_key = (*key, get_language(), simulated_clock_text())
    cached = _pages.get(full_key)
    if cached is None:
        response = render(CSRF_PLACEHOLDER)
        if response.status_code != 200 or CSRF_PLACEHOLDER.encode() not in response.content:
            return render(None)
        cached = (response.content, response["Content-Type"])
        with _lock:
            if len(_pages) >= MAX_PAGES:
                _pages.clear()
            _pages[full_key] = cached
    content, content_type = cached
    return HttpResponse(content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode()),
                        content_type=content_type)


def shared_pages_clear() -> None:
    with _lock:
        _pages.clear()


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    """A setting changed at run time (the tests' ``settings`` fixture, override_settings): what was
    rendered under the old one is dropped, the shared pages and the {% cache %} fragments alike."""
    shared_pages_clear()
    caches["template_fragments"].clear()
