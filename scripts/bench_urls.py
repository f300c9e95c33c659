"""The site's URLs plus ``/bench/bare/``: a bare Django template page with ``{% csrf_token %}``,
rendered through the same middleware, context processors and template engine as every page of the
site. It is the yardstick "as fast as bare Django" is measured against (``bench.py pages``,
``make load``); only the benchmark servers load this URLconf (``bench_settings``)."""

from django.shortcuts import render
from django.urls import path

from certcenter.urls import urlpatterns as site_urlpatterns

BARE_PATH = "bench/bare/"


def bare(request):
    return render(request, "bench/bare.html")


urlpatterns = [path(BARE_PATH, bare, name="bench_bare"), *site_urlpatterns]
