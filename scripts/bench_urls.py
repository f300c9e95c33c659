"""The site's URLs plus ``/bench/bare/``: a bare Django template page with ``{% csrf_token %}``,
rendered through the same middleware, context processors and template engine as every page of the
site. It is the yardstick "as fast as bare Django" is measured against (``bench.py pages``,
``make load``); only the benchmark servers load this URLconf (``bench_settings``)."""

from django.shortcuts import render
from django.urls import path

from certcenter.urls import urlpatterns as site_urlpatterns

BARE_PATH = "bench/bare/"
SESSION_PATH = "bench/session/"


def bare(request):
    return render(request, "bench/bare.html")


def bare_with_session(request):
    """The bare page after reading the browser's server-side session (DESIGN: never signed
    cookies): not a yardstick the bench lines use, but the least a wizard page must also do, so
    ``bench.py pages`` prints what that least costs beside the lines."""
    request.session.get("certcenter.flow")
    return render(request, "bench/bare.html")


urlpatterns = [path(BARE_PATH, bare, name="bench_bare"),
               path(SESSION_PATH, bare_with_session, name="bench_session"), *site_urlpatterns]
