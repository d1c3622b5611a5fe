"""Work-order API (/api/v1/work-orders/): thin, every write through tickets.workorders, every read through
tickets.workorder_selectors. Each step carries a client-generated `key` (UUID): resending it answers the same."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.models import Role, User
from tickets import selectors
from tickets import workorder_selectors as ws
from tickets import workorders as wo
from tickets.models import WorkOrder, WorkOrderPart, WorkOrderTime


class PartSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkOrderPart
        fields = ["id", "description", "quantity", "unit_cost", "added_at"]


class TimeSerializer(serializers.ModelSerializer):
    technician = serializers.StringRelatedField()

    class Meta:
        model = WorkOrderTime
        fields = ["id", "technician", "started_at", "ended_at"]


class WorkOrderSerializer(serializers.ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    technician_name = serializers.SerializerMethodField()
    arrival_remaining_minutes = serializers.SerializerMethodField()
    has_signature = serializers.SerializerMethodField()
    parts = PartSerializer(many=True, read_only=True)
    time_entries = TimeSerializer(many=True, read_only=True)

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "ticket",
            "technician",
            "technician_name",
            "state",
            "site_address",
            "contact_name",
            "contact_phone",
            "appointment_at",
            "created_at",
            "accepted_at",
            "departed_at",
            "arrived_at",
            "arrival_due_at",
            "arrival_warned_at",
            "arrival_breached_at",
            "arrival_remaining_minutes",
            "diagnosed_at",
            "diagnosis",
            "quote_amount",
            "quote_notes",
            "quote_decided_at",
            "repaired_at",
            "repair_notes",
            "taken_back_at",
            "promised_return_at",
            "returned_at",
            "completed_at",
            "signoff_method",
            "signer_name",
            "has_signature",
            "cancelled_at",
            "cancel_reason",
            "parts",
            "time_entries",
        ]

    def get_technician_name(self, obj: WorkOrder) -> str:
        return str(obj.technician)

    def get_arrival_remaining_minutes(self, obj: WorkOrder) -> int | None:
        return ws.remaining_minutes(obj)

    def get_has_signature(self, obj: WorkOrder) -> bool:
        return bool(obj.signature)


class CreateSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    technician = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(groups__name=Role.TECHNICIAN))
    site_address = serializers.CharField(max_length=300)
    contact_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    appointment_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class StepSerializer(serializers.Serializer):
    key = serializers.UUIDField(help_text=_("Client-generated; resending the same key does not repeat the step."))


class DiagnoseSerializer(StepSerializer):
    diagnosis = serializers.CharField(max_length=5000)
    quote_amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    quote_notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RepairSerializer(StepSerializer):
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class TakeBackSerializer(RepairSerializer):
    promised_return_at = serializers.DateTimeField()


class CancelSerializer(StepSerializer):
    reason = serializers.CharField(max_length=500)


class CompleteSerializer(StepSerializer):
    signer_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    signature = serializers.CharField(required=False, allow_blank=True, default="", max_length=2_000_000)
    code = serializers.RegexField(r"^\d{6}$", required=False, allow_blank=True, default="")


class PartCreateSerializer(StepSerializer):
    description = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, default=1)
    unit_cost = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)


class NoteSerializer(StepSerializer):
    text = serializers.CharField(max_length=2000)


SIMPLE_STEPS = {
    "accept": wo.workorder_accept,
    "depart": wo.workorder_depart,
    "arrive": wo.workorder_arrive,
    "approve_quote": wo.workorder_approve_quote,
    "decline_quote": wo.workorder_decline_quote,
    "return": wo.workorder_return,
    "send_code": wo.workorder_send_code,
    "time_start": wo.workorder_time_start,
    "time_stop": wo.workorder_time_stop,
}


class WorkOrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = WorkOrderSerializer

    def get_queryset(self):
        return ws.workorder_list(self.request.user).prefetch_related(
            "parts", Prefetch("time_entries", queryset=WorkOrderTime.objects.select_related("technician"))
        )

    def _respond(self, order: WorkOrder, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=order.pk).first() or order
        return Response(WorkOrderSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _run(self, serializer_class, service, **renames):
        order = self.get_object()  # 404 when not visible
        s = serializer_class(data=self.request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        for old, new in renames.items():
            data[new] = data.pop(old)
        return self._respond(service(order=order, actor=self.request.user, **data))

    @extend_schema(request=CreateSerializer, responses={201: WorkOrderSerializer})
    def create(self, request, *args, **kwargs):
        s = CreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        ticket = selectors.tickets_visible_to(request.user).filter(number=data.pop("ticket")).first()
        if ticket is None:
            raise Http404
        order = wo.workorder_create(ticket=ticket, actor=request.user, **data)
        return self._respond(order, status.HTTP_201_CREATED)

    def _simple(self, name: str):
        return self._run(StepSerializer, SIMPLE_STEPS[name])

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._simple("accept")

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def depart(self, request, pk=None):
        return self._simple("depart")

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def arrive(self, request, pk=None):
        return self._simple("arrive")

    @extend_schema(request=DiagnoseSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def diagnose(self, request, pk=None):
        return self._run(DiagnoseSerializer, wo.workorder_diagnose)

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], url_path="approve-quote")
    def approve_quote(self, request, pk=None):
        return self._simple("approve_quote")

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], url_path="decline-quote")
    def decline_quote(self, request, pk=None):
        return self._simple("decline_quote")

    @extend_schema(request=RepairSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def repair(self, request, pk=None):
        return self._run(RepairSerializer, wo.workorder_repair)

    @extend_schema(request=TakeBackSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], url_path="take-back")
    def take_back(self, request, pk=None):
        return self._run(TakeBackSerializer, wo.workorder_take_back)

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_device(self, request, pk=None):
        return self._simple("return")

    @extend_schema(request=CompleteSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._run(CompleteSerializer, wo.workorder_complete)

    @extend_schema(request=CancelSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._run(CancelSerializer, wo.workorder_cancel)

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], url_path="send-code")
    def send_code(self, request, pk=None):
        return self._simple("send_code")

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], url_path="time-start")
    def time_start(self, request, pk=None):
        return self._simple("time_start")

    @extend_schema(request=StepSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], url_path="time-stop")
    def time_stop(self, request, pk=None):
        return self._simple("time_stop")

    @extend_schema(request=PartCreateSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def parts(self, request, pk=None):
        return self._run(PartCreateSerializer, wo.workorder_add_part)

    @extend_schema(request=NoteSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        return self._run(NoteSerializer, wo.workorder_annotate)

    @extend_schema(responses={(200, "image/png"): bytes})
    @action(detail=True, methods=["get"])
    def signature(self, request, pk=None):
        order = self.get_object()
        if not order.signature:
            raise Http404
        response = FileResponse(order.signature.open("rb"), content_type="image/png")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = f'inline; filename="signature-WO-{order.pk}.png"'
        return response
