"""URLs of this room (included by certificates/urls.py under the app's namespace, at /bank/)."""

from django.urls import path, re_path

from certificates.banking import views

RECEIPT = r"^transfer/(?P<number>[0-9]{16})/"

urlpatterns = [
    path("", views.home, name="bank_home"),
    path("login/", views.LoginView.as_view(), name="bank_login"),
    path("logout/", views.logout, name="bank_logout"),
    path("transfer/", views.transfer, name="bank_transfer"),
    path("transfer/confirm/", views.TransferConfirmView.as_view(), name="bank_transfer_confirm"),
    re_path(RECEIPT + r"$", views.receipt, name="bank_receipt"),
    re_path(RECEIPT + r"signature\.p7s$", views.signature_download, name="bank_signature"),
    re_path(RECEIPT + r"content\.txt$", views.content_download, name="bank_content"),
]
