from django.urls import include, path
from rest_framework.routers import DefaultRouter

from knowledge.api.views import ArticleViewSet
from notices.api.views import NoticeViewSet
from sla.api.views import CalendarViewSet, PolicyViewSet
from tickets.api.followups import ComplaintViewSet, FollowUpViewSet
from tickets.api.major_incidents import MajorIncidentViewSet
from tickets.api.public import PublicStatusView
from tickets.api.views import AttachmentDownloadView, TicketViewSet
from tickets.api.workorders import WorkOrderViewSet

from .views import CategoryViewSet, DepartmentViewSet, MeView, SupportGroupViewSet, TokenView, UserViewSet

app_name = "api"

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("departments", DepartmentViewSet, basename="department")
router.register("support-groups", SupportGroupViewSet, basename="support-group")
router.register("categories", CategoryViewSet, basename="category")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("followups", FollowUpViewSet, basename="followup")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("kb/articles", ArticleViewSet, basename="kb-article")
router.register("notices", NoticeViewSet, basename="notice")
router.register("major-incidents", MajorIncidentViewSet, basename="major-incident")
router.register("sla/calendars", CalendarViewSet, basename="sla-calendar")
router.register("sla/policies", PolicyViewSet, basename="sla-policy")
router.register("work-orders", WorkOrderViewSet, basename="work-order")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("public/status/", PublicStatusView.as_view(), name="public-status"),
    path("attachments/<int:pk>/download/", AttachmentDownloadView.as_view(), name="attachment-download"),
    path("", include("tickets.api.reports")),
    path("", include(router.urls)),
]
