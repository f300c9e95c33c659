"""URLs of this room (included by certificates/urls.py under the app's namespace)."""

urlpatterns = []
