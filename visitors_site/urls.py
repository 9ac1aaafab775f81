from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # set_language: the masthead's language switcher posts here (visitors/i18n.py).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("visitors.urls")),
]

handler400 = "visitors.errors.bad_request"
handler403 = "visitors.errors.permission_denied"
handler404 = "visitors.errors.page_not_found"
handler500 = "visitors.errors.server_error"
