"""URLs of this room (included by certificates/urls.py under the app's namespace)."""

from django.urls import path

from certificates.manage import hold, views

urlpatterns = [
    path("", views.overview, name="manage"),
    path("certificate.pem", views.certificate_pem, name="manage_pem"),
    path("pin/", views.PinChangeView.as_view(), name="manage_pin"),
    path("revoke/", views.RevokeView.as_view(), name="manage_revoke"),
    path("suspend/", hold.SuspendView.as_view(), name="manage_suspend"),
    path("resume/", hold.ResumeView.as_view(), name="manage_resume"),
]
