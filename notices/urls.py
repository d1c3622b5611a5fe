"""Notice pages, mounted at /notices/ by servicedesk/urls.py."""

from django.urls import path, re_path

from . import views
from .feeds import PublicNoticesFeed

app_name = "notices"

ACTION_SLUGS = "|".join(views.ACTIONS)

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("manage/", views.notice_manage, name="manage"),
    path("new/", views.notice_new, name="new"),
    path("feed/", PublicNoticesFeed(), name="feed"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("<int:pk>/edit/", views.notice_edit, name="edit"),
    re_path(rf"^(?P<pk>\d+)/(?P<action>{ACTION_SLUGS})/$", views.notice_action, name="action"),
]
