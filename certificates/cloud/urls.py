"""URLs of this room (included by certificates/urls.py under the app's namespace)."""

from django.urls import path

from certificates.cloud import views

urlpatterns = [
    path("", views.ConnectView.as_view(), name="cloud_connect"),
    path("disconnect/", views.disconnect, name="cloud_disconnect"),
    path("devices/", views.devices, name="cloud_devices"),
]
