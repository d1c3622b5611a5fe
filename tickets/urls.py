from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("desk/", views.queue, name="queue"),
    path("desk/new/", views.intake, name="intake"),
    path("work/", views.my_work, name="my_work"),
    path("portal/", views.portal, name="portal"),
    path("status/", views.status_lookup, name="status_lookup"),
    path("tickets/<str:number>/", views.detail, name="detail"),
]
