"""Major-incident pages, mounted at /major-incidents/ by servicedesk/urls.py."""

from django.urls import path

from . import major_incident_views as views

app_name = "major_incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("declare/<str:number>/", views.incident_declare, name="declare"),
    path("link/", views.incident_link_chosen, name="link_chosen"),
    path("<int:pk>/", views.incident_detail, name="detail"),
    path("<int:pk>/link/", views.incident_link, name="link"),
    path("<int:pk>/unlink/<str:number>/", views.incident_unlink, name="unlink"),
    path("<int:pk>/update/", views.incident_update, name="update"),
    path("<int:pk>/resolve/", views.incident_resolve, name="resolve"),
    path("<int:pk>/subscribe/", views.incident_subscribe, name="subscribe"),
]
