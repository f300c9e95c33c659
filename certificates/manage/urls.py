"""URLs of this room (included by certificates/urls.py under the app's namespace)."""

from django.urls import path

from certificates.manage import views

urlpatterns = [
    path("", views.overview, name="manage"),
    path("certificate.pem", views.certificate_pem, name="manage_pem"),
    path("pin/", views.PinChangeView.as_view(), name="manage_pin"),
    path("revoke/", views.RevokeView.as_view(), name="manage_revoke"),
]
