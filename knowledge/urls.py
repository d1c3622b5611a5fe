from django.urls import path, re_path

from . import views

app_name = "knowledge"

STEP_SLUGS = "|".join(views.STEPS)

urlpatterns = [
    path("kb/", views.home, name="home"),
    path("kb/manage/", views.manage, name="manage"),
    path("kb/new/", views.new, name="new"),
    path("kb/suggest/", views.suggest, name="suggest"),
    path("kb/articles/<int:pk>/", views.detail, name="detail"),
    path("kb/articles/<int:pk>/edit/", views.edit, name="edit"),
    path("kb/articles/<int:pk>/history/", views.history, name="history"),
    path("kb/articles/<int:pk>/restore/", views.restore, name="restore"),
    path("kb/articles/<int:pk>/upload/", views.upload, name="upload"),
    path("kb/articles/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("kb/articles/<int:pk>/solved/", views.solved, name="solved"),
    re_path(rf"^kb/articles/(?P<pk>\d+)/(?P<action>{STEP_SLUGS})/$", views.step, name="step"),
    path("kb/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("kb/tickets/<str:number>/resolve-with/<int:pk>/", views.resolve_with, name="resolve_with"),
]
