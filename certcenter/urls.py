from django.contrib import admin
from django.urls import include, path

from certcenter import views

admin.site.site_header = "CertCenter 관리자"
admin.site.site_title = "CertCenter 관리자"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("personal/", views.PersonalFinanceCertView.as_view(), name="personal"),
    path("corporate/", views.CorporateView.as_view(), name="corporate"),
    path("", include("verification.urls")),
    path("", include("certificates.urls")),
    path("admin/", admin.site.urls),
]
