"""Report pages, mounted at /reports/ by servicedesk/urls.py."""

from django.urls import path

from . import report_views as views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("export/", views.export, name="export"),
    path("quality/", views.inspections, name="inspections"),
    path("quality/<int:pk>/", views.inspection_detail, name="inspection"),
    path("quality/items/<int:pk>/", views.inspection_item, name="inspection_item"),
    path("quality/scores/", views.inspection_scores, name="inspection_scores"),
    path("quality/mine/", views.my_scores, name="my_scores"),
]
