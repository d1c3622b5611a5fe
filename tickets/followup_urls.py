"""Follow-up pages, mounted at /followups/ by servicedesk/urls.py."""

from django.urls import path

from . import followup_views as views

app_name = "followups"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("<int:pk>/", views.call, name="call"),
    path("<int:pk>/record/", views.record, name="record"),
    path("rate/<str:token>/", views.self_rate, name="self_rate"),
    path("complaints/", views.complaints_by_team, name="complaints"),
]
