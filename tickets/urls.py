from django.urls import path, re_path

from . import views

app_name = "tickets"

ACTION_SLUGS = "|".join(views.ACTION_SLUGS)

urlpatterns = [
    path("desk/", views.queue, name="queue"),
    path("desk/new/", views.intake, name="intake"),
    path("desk/new/requesters/", views.requester_lookup, name="requester_lookup"),
    path("work/", views.my_work, name="my_work"),
    path("portal/", views.portal, name="portal"),
    path("portal/new/", views.portal_new, name="portal_new"),
    path("status/", views.status_lookup, name="status_lookup"),
    path("tickets/<str:number>/", views.detail, name="detail"),
    path("tickets/<str:number>/comment/", views.comment, name="comment"),
    path("tickets/<str:number>/upload/", views.upload, name="upload"),
    path(
        "tickets/<str:number>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    # assign, accept, pend, resume, resolve, reopen, close, cancel, mark-duplicate
    re_path(
        rf"^tickets/(?P<number>[^/]+)/(?P<action>{ACTION_SLUGS})/$",
        views.ticket_action,
        name="action",
    ),
]
