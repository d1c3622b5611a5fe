"""Work-order pages, mounted at /work-orders/ by servicedesk/urls.py."""

from django.urls import path

from . import workorder_views as views

app_name = "workorders"

urlpatterns = [
    path("", views.today, name="today"),
    path("manage/", views.manage, name="manage"),
    path("new/<str:number>/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sheet/", views.sheet, name="sheet"),
    path("<int:pk>/signature.png", views.signature, name="signature"),
    path("<int:pk>/<str:action>/", views.step, name="step"),
]
