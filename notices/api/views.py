"""Notice API (API.md): the list of current notices, drafting, and the review workflow. Thin: every write goes
through notices.services, every read through notices.selectors.

- `GET /api/v1/notices/` — published, unexpired notices meant for the caller; `?scope=manage` (staff) lists the
  notices they manage in any state, `&status=` one of them or `review` (waiting for the caller's review).
- `POST /api/v1/notices/` → 201 draft; `PATCH /api/v1/notices/{id}/` changes the content (back to draft if it
  was submitted or approved).
- `POST /api/v1/notices/{id}/submit/ | approve/ | reject/ | return/ | publish/ | withdraw/ | resend/`.
- `GET /api/v1/notices/{id}/events/` (the audit trail), `GET /api/v1/notices/{id}/deliveries/` (email progress).

A workflow step is refused with 403 for anyone outside the workflow (end users) before the notice is even looked
up; a staff member may be told 403 for a notice they could not list (who may act is the question, not existence)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notices import rules, selectors, services
from notices.models import Notice
from servicedesk.errors import NotAllowed, ValidationFailed

from .serializers import (
    NoticeDeliveryReportSerializer,
    NoticeEventSerializer,
    NoticeReasonSerializer,
    NoticeResendResultSerializer,
    NoticeSerializer,
    NoticeUpdateSerializer,
    NoticeWithdrawSerializer,
    NoticeWriteSerializer,
)


class NoticeViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = NoticeSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            if self.request.query_params.get("scope") == "manage":
                if not rules.participates(user):
                    raise NotAllowed(_("Only support teams and the service desk manage notices."))
                return selectors.manage_list(user, status=self.request.query_params.get("status", ""))
            return selectors.with_details(selectors.notices_current_for(user))
        return selectors.with_details(selectors.notices_visible_to(user)).order_by("-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=["current", "manage"], description="current (default) or manage"),
            OpenApiParameter("status", str, description="with scope=manage: a status, or `review`"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _workflow_notice(self) -> Notice:
        if not rules.participates(self.request.user):
            raise NotAllowed(_("Only support teams and the service desk take part in publishing notices."))
        notice = Notice.objects.filter(pk=self.kwargs["pk"]).first() if str(self.kwargs["pk"]).isdigit() else None
        if notice is None:
            raise Http404
        return notice

    def _respond(self, notice: Notice, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.with_details(Notice.objects.filter(pk=notice.pk)).first()
        return Response(NoticeSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=NoticeWriteSerializer, responses={201: NoticeSerializer})
    def create(self, request, *args, **kwargs):
        if not rules.participates(request.user):
            raise NotAllowed(_("Only support teams and the service desk write notices."))
        s = NoticeWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        notice = services.notice_create(actor=request.user, data=services.NoticeInput(**s.validated_data))
        return self._respond(notice, status.HTTP_201_CREATED)

    @extend_schema(request=NoticeUpdateSerializer, responses=NoticeSerializer)
    def partial_update(self, request, *args, **kwargs):
        notice = self._workflow_notice()
        s = NoticeUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        notice = services.notice_update(notice=notice, actor=request.user, **s.validated_data)
        return self._respond(notice)

    @extend_schema(request=None, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._respond(services.notice_submit(notice=self._workflow_notice(), actor=request.user))

    @extend_schema(request=None, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._respond(services.notice_approve(notice=self._workflow_notice(), actor=request.user))

    @extend_schema(request=NoticeReasonSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        notice = self._workflow_notice()
        reason = str(request.data.get("reason", "")) if hasattr(request.data, "get") else ""
        return self._respond(services.notice_reject(notice=notice, actor=request.user, reason=reason))

    @extend_schema(request=NoticeReasonSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def send_back(self, request, pk=None):
        """The desk's answer when it doubts an approved notice: back to the owner team with a comment."""
        notice = self._workflow_notice()
        reason = str(request.data.get("reason", "")) if hasattr(request.data, "get") else ""
        return self._respond(services.notice_return(notice=notice, actor=request.user, reason=reason))

    @extend_schema(request=None, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        notice = self._workflow_notice()
        # Publishing (on the team's behalf or not) takes the approved content as it is: it never changes it.
        content = (
            sorted(set(request.data or {}) & set(services.EDITABLE_FIELDS)) if hasattr(request.data, "keys") else []
        )
        if content:
            raise ValidationFailed(
                {
                    name: [_("Publishing cannot change the content. Return the notice to its team instead.")]
                    for name in content
                }
            )
        return self._respond(services.notice_publish(notice=notice, actor=request.user))

    @extend_schema(request=NoticeWithdrawSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        notice = self._workflow_notice()
        s = NoticeWithdrawSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._respond(services.notice_withdraw(notice=notice, actor=request.user, **s.validated_data))

    @extend_schema(request=None, responses=NoticeResendResultSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        """Queue again only the emails that failed."""
        queued = services.notice_resend_failures(notice=self._workflow_notice(), actor=request.user)
        return Response({"queued": queued})

    @extend_schema(responses=NoticeEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        notice = self._manageable()
        return Response(NoticeEventSerializer(selectors.notice_events(notice), many=True).data)

    @extend_schema(responses=NoticeDeliveryReportSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def deliveries(self, request, pk=None):
        notice = self._manageable()
        data = {
            "progress": selectors.delivery_progress(notice),
            "failures": selectors.failed_deliveries(notice),
        }
        return Response(NoticeDeliveryReportSerializer(data).data)

    def _manageable(self) -> Notice:
        notice = selectors.notices_manageable_by(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if notice is None:
            raise Http404
        return notice
