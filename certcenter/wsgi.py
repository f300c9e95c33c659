"""WSGI entry point for gunicorn (``make serve``).

The OCSP responder's path is answered in front of Django's middleware (``certificates.responder``);
everything else is Django's application as usual.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certcenter.settings")

application = get_wsgi_application()

from certificates.responder import OCSPFrontDoor  # noqa: E402  (needs the apps loaded above)

application = OCSPFrontDoor(application)
