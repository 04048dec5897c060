from django.contrib import admin
from django.urls import include, path

from buzon.api.urls import api_patterns, ui_patterns
from buzon.core.views import favicon, healthz
from buzon.mail.inbound.esp_inbound import urlpatterns as esp_inbound
from buzon.mail.inbound.webhooks import urlpatterns as esp_webhooks

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v2/", include(api_patterns)),
    path("webhooks/esp/", include((esp_webhooks(), "esp_webhooks"))),
    path("webhooks/esp/", include((esp_inbound(), "esp_inbound"))),
    *ui_patterns,
    path("", include("buzon.workspace.urls")),
]
