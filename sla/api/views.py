"""SLA configuration API: calendars and policies. Supervisors and administrators write; staff read."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from servicedesk.models import Role
from sla import services
from sla.models import Calendar, Policy

from .serializers import CalendarCreateSerializer, CalendarSerializer, PolicyCreateSerializer, PolicySerializer


class SlaConfigPermission(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return user.is_staff_member
        return user.has_role(Role.SUPERVISOR, Role.ADMIN)


class CalendarViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [SlaConfigPermission]
    serializer_class = CalendarSerializer
    queryset = Calendar.objects.prefetch_related("intervals", "holidays", "extra_workdays").order_by("pk")

    @extend_schema(request=CalendarCreateSerializer, responses={201: CalendarSerializer})
    def create(self, request, *args, **kwargs):
        s = CalendarCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        calendar = services.calendar_create(actor=request.user, **s.validated_data)
        return Response(
            CalendarSerializer(self.get_queryset().get(pk=calendar.pk)).data, status=status.HTTP_201_CREATED
        )


class PolicyViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [SlaConfigPermission]
    serializer_class = PolicySerializer
    queryset = Policy.objects.order_by("priority", "pk")

    @extend_schema(request=PolicyCreateSerializer, responses={201: PolicySerializer})
    def create(self, request, *args, **kwargs):
        s = PolicyCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        policy = services.policy_create(actor=request.user, **s.validated_data)
        return Response(PolicySerializer(policy).data, status=status.HTTP_201_CREATED)
