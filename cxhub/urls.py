from django.contrib import admin
from django.urls import include, path

from staff.urls import api_urlpatterns as staff_api
from widget.views import demo_page

urlpatterns = [
    path("", demo_page, name="demo"),
    path("admin/", admin.site.urls),
    path("staff/", include("staff.urls")),
    path("api/widget/", include("widget.urls")),
    path("api/staff/", include(staff_api)),
    path("api/mail/", include("cxhub.mail.urls")),
    path("api/sms/", include("cxhub.sms.urls")),
    path("api/channel/v1/", include("cxhub.api_channel.urls")),
]
