from django.contrib import admin
from django.urls import include, path

from certcenter import health, views
from certificates.health import readyz

admin.site.site_header = "CertCenter 관리자"
admin.site.site_title = "CertCenter 관리자"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    # Probes (README "Health checks"); certcenter.health.ProbeMiddleware answers them first.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("personal/", views.PersonalFinanceCertView.as_view(), name="personal"),
    path("corporate/", views.CorporateView.as_view(), name="corporate"),
    path("", include("verification.urls")),
    path("", include("certificates.urls")),
    path("admin/", admin.site.urls),
]
