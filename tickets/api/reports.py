"""Report and quality-inspection API: thin over tickets.reports (KPIs) and tickets.inspection (samples, scores).

`GET /api/v1/reports/summary/?from=&to=` is the public contract of API.md (supervisors, quality analysts,
administrators); the breakdown, export and inspection endpoints are ours to evolve."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from servicedesk.api.permissions import role_permission
from servicedesk.errors import ValidationFailed
from servicedesk.models import User
from tickets import inspection as qa
from tickets import reports as r
from tickets.models import INSPECTION_CRITERIA, Inspection, InspectionItem
from tickets.report_exports import REPORTS

PERIOD_PARAMS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, required=True, description=gettext_lazy("First day (YYYY-MM-DD), included")
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, required=True, description=gettext_lazy("Last day (YYYY-MM-DD), included")
    ),
]
FILTER_PARAMS = [
    OpenApiParameter("group", int, description=gettext_lazy("Support group id")),
    OpenApiParameter("category", int, description=gettext_lazy("Category id (its sub-categories included)")),
    OpenApiParameter("type", str, enum=list(r.Ticket.Type.values)),
    OpenApiParameter("priority", int, enum=list(r.Ticket.Priority.values)),
    OpenApiParameter("channel", str, enum=list(r.Ticket.Channel.values)),
]

# Seconds are business seconds; API names say so.
RENAMED = {
    "response_mean": "response_mean_seconds",
    "response_p90": "response_p90_seconds",
    "resolution_mean": "resolution_mean_seconds",
    "resolution_p90": "resolution_p90_seconds",
}


def kpis_json(kpis: r.Kpis) -> dict[str, Any]:
    return {RENAMED.get(k, k): v for k, v in kpis.as_dict().items()}


class SummarySerializer(serializers.Serializer):
    """The report summary: counts, rates (fractions 0..1, null when their denominator is 0) and business times."""

    # Declared for the schema; the view returns the selector's figures as they are.
    _from = serializers.DateField()
    to = serializers.DateField()
    tickets = serializers.IntegerField(help_text=gettext_lazy("Tickets created in the period."))
    fcr_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Of those ever resolved, the share resolved on first contact.")
    )
    response_sla_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Of their response targets met or breached, the share met.")
    )
    resolution_sla_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Of their resolution targets met or breached, the share met.")
    )
    avg_satisfaction = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Mean satisfaction (1–5) of their recorded follow-ups.")
    )
    followup_completion_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Of their follow-ups (not withdrawn by a reopen), the share done.")
    )
    reopen_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Of those ever resolved, the share reopened at least once.")
    )
    resolved = serializers.IntegerField()
    first_contact = serializers.IntegerField()
    reopened = serializers.IntegerField()
    response_met = serializers.IntegerField()
    response_breached = serializers.IntegerField()
    resolution_met = serializers.IntegerField()
    resolution_breached = serializers.IntegerField()
    response_mean_seconds = serializers.FloatField(allow_null=True)
    response_p90_seconds = serializers.FloatField(allow_null=True)
    resolution_mean_seconds = serializers.FloatField(allow_null=True)
    resolution_p90_seconds = serializers.FloatField(allow_null=True)
    followups = serializers.IntegerField()
    followups_done = serializers.IntegerField()
    followups_on_time = serializers.IntegerField()
    followups_late = serializers.IntegerField()
    followup_on_time_rate = serializers.FloatField(allow_null=True)
    rated = serializers.IntegerField()
    satisfaction_sum = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    satisfied_rate = serializers.FloatField(allow_null=True)
    complaints = serializers.IntegerField(allow_null=True)
    complaint_rate = serializers.FloatField(allow_null=True)
    deflections = serializers.IntegerField(allow_null=True)
    notices_published = serializers.IntegerField(allow_null=True)
    notices_late = serializers.IntegerField(allow_null=True)
    notice_on_time_rate = serializers.FloatField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("_from")
        return fields


def _period_filters(params: Any, *, max_days: int | None = r.MAX_PERIOD_DAYS) -> tuple[r.Period, r.Filters]:
    """from/to and the filters, or a 400 naming each bad field (all at once)."""
    errors: dict[str, list[str]] = {}
    period = filters = None
    try:
        period = r.period_from_params(params, max_days=max_days)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        filters = r.filters_from_params(params, strict=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    assert period is not None and filters is not None
    return period, filters


class ReportSummaryView(APIView):
    """KPIs of the tickets created from `from` to `to` (both included, in the server's time zone)."""

    permission_classes = [role_permission(*r.REPORT_ROLES)]

    @extend_schema(parameters=PERIOD_PARAMS + FILTER_PARAMS, responses=SummarySerializer)
    def get(self, request):
        period, filters = _period_filters(request.query_params, max_days=None)
        kpis = r.report_summary(r.Scope.of(period, filters))
        return Response({"from": period.start.isoformat(), "to": period.end.isoformat(), **kpis_json(kpis)})


class ReportBreakdownView(APIView):
    """The same KPIs per support group, technician (assignee), agent (logged by), category, channel, or per day /
    week / month; `key` is the id (or code, or first day), null for tickets without one."""

    permission_classes = [role_permission(*r.REPORT_ROLES)]

    @extend_schema(
        parameters=[
            *PERIOD_PARAMS,
            OpenApiParameter("by", str, required=True, enum=[*r.DIMENSIONS, *r.BUCKETS]),
            *FILTER_PARAMS,
        ],
        responses=inline_serializer(
            "ReportBreakdown",
            {
                "from": serializers.DateField(),
                "to": serializers.DateField(),
                "by": serializers.CharField(),
                "results": inline_serializer(
                    "ReportBreakdownRow",
                    {
                        "key": serializers.CharField(allow_null=True),
                        "label": serializers.CharField(),
                        "kpis": SummarySerializer(),
                    },
                    many=True,
                ),
            },
        ),
    )
    def get(self, request):
        by = request.query_params.get("by", "")
        errors = {}
        if by not in r.DIMENSIONS and by not in r.BUCKETS:
            errors["by"] = [_("Choose one of: %(dims)s.") % {"dims": ", ".join([*r.DIMENSIONS, *r.BUCKETS])}]
        try:
            period, filters = _period_filters(request.query_params)
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        rows = r.report_breakdowns(r.Scope.of(period, filters), [by])[by]
        if by in r.BUCKETS:
            rows = r.fill_buckets(rows, period, by)
        return Response(
            {
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "by": by,
                "results": [
                    {"key": None if row.key is None else row.param, "label": row.label, "kpis": kpis_json(row.kpis)}
                    for row in rows
                ],
            }
        )


class FileNegotiation(DefaultContentNegotiation):
    """The export answers a file whatever `format` says: DRF would otherwise read `?format=csv` as the name of a
    renderer and answer 404."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportExportView(APIView):
    """A report as CSV or XLSX (the dashboard's export, for scripts)."""

    permission_classes = [role_permission(*r.REPORT_ROLES)]
    content_negotiation_class = FileNegotiation

    @extend_schema(
        parameters=[
            *PERIOD_PARAMS,
            OpenApiParameter("report", str, enum=[*REPORTS, "all"]),
            OpenApiParameter("format", str, enum=["csv", "xlsx"]),
            *FILTER_PARAMS,
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        from tickets.report_views import export_response

        try:
            return export_response(request.user, request.query_params)
        except ValidationFailed as exc:
            raise ValidationError(exc.errors) from None


# --- quality inspection ---------------------------------------------------------------------------------------


class InspectionItemSerializer(serializers.ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    ticket_title = serializers.CharField(source="ticket.title", read_only=True)
    agent_name = serializers.SerializerMethodField()
    scale = serializers.CharField(source="inspection.scale", read_only=True)

    class Meta:
        model = InspectionItem
        fields = [
            "id",
            "inspection",
            "ticket",
            "ticket_title",
            "ticket_closed_at",
            "agent",
            "agent_name",
            "scale",
            "state",
            *INSPECTION_CRITERIA,
            "score",
            "comment",
            "scored_by",
            "scored_at",
        ]
        read_only_fields = fields

    def get_agent_name(self, item: InspectionItem) -> str:
        return str(item.agent)


class InspectionSerializer(serializers.ModelSerializer):
    inspector_name = serializers.SerializerMethodField()
    item_count = serializers.IntegerField(read_only=True)
    scored_count = serializers.IntegerField(read_only=True)
    mean_score = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "inspector",
            "inspector_name",
            "period_start",
            "period_end",
            "per_agent",
            "scale",
            "note",
            "created_at",
            "item_count",
            "scored_count",
            "mean_score",
        ]
        read_only_fields = fields

    def get_inspector_name(self, inspection: Inspection) -> str:
        return str(inspection.inspector)


class InspectionCreateSerializer(serializers.Serializer):
    """Draw a sample: `per_agent` random tickets resolved by each person (or each of `agents`) closed in the period."""

    period_from = serializers.DateField(help_text=gettext_lazy("Tickets closed from this day (included)"))
    period_to = serializers.DateField(help_text=gettext_lazy("… to this day (included)"))
    per_agent = serializers.IntegerField(min_value=1, max_value=qa.MAX_PER_AGENT)
    agents = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    scale = serializers.ChoiceField(choices=Inspection.Scale.choices, default=Inspection.Scale.POINTS)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class InspectionScoreSerializer(serializers.Serializer):
    """0–5 per checklist item (or 1 pass / 0 fail on a pass/fail inspection), and a comment."""

    courtesy = serializers.IntegerField(min_value=0, max_value=5)
    classification = serializers.IntegerField(min_value=0, max_value=5)
    record = serializers.IntegerField(min_value=0, max_value=5)
    knowledge = serializers.IntegerField(min_value=0, max_value=5)
    timeliness = serializers.IntegerField(min_value=0, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class InspectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Inspection rounds. Quality analysts draw samples; supervisors and administrators read them too."""

    serializer_class = InspectionSerializer
    permission_classes = [role_permission(*qa.SCORE_READER_ROLES)]
    filter_backends: list = []

    def get_queryset(self):
        return qa.inspections_visible_to(self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=InspectionCreateSerializer, responses={201: InspectionSerializer})
    def create(self, request, *args, **kwargs):
        s = InspectionCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        created = qa.inspection_create(
            actor=request.user,
            period=r.Period(data["period_from"], data["period_to"]),
            per_agent=data["per_agent"],
            agents=data.get("agents") or None,
            scale=data["scale"],
            note=data["note"],
        )
        fresh = self.get_queryset().get(pk=created.pk)
        return Response(InspectionSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=InspectionItemSerializer(many=True))
    @action(detail=True, methods=["get"])
    def items(self, request, pk=None):
        inspection = self.get_object()
        items = qa.inspection_items_visible_to(request.user).filter(inspection=inspection).order_by("agent_id", "id")
        return Response(InspectionItemSerializer(items, many=True).data)


class InspectionItemViewSet(viewsets.ReadOnlyModelViewSet):
    """Inspected tickets. Inspectors, supervisors and administrators see all; anyone else their own scored ones."""

    serializer_class = InspectionItemSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = qa.inspection_items_visible_to(self.request.user)
        if self.action == "list":
            params = self.request.query_params
            if params.get("agent", "").isdigit():
                qs = qs.filter(agent_id=int(params["agent"]))
            if params.get("inspection", "").isdigit():
                qs = qs.filter(inspection_id=int(params["inspection"]))
            if params.get("state") in InspectionItem.State.values:
                qs = qs.filter(state=params["state"])
        return qs.order_by("-ticket_closed_at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("agent", int),
            OpenApiParameter("inspection", int),
            OpenApiParameter("state", str, enum=list(InspectionItem.State.values)),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InspectionScoreSerializer, responses=InspectionItemSerializer)
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        item = self.get_object()
        s = InspectionScoreSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        comment = data.pop("comment")
        qa.inspection_item_score(actor=request.user, item=item, scores=data, comment=comment)
        fresh = qa.inspection_items_visible_to(request.user).get(pk=item.pk)
        return Response(InspectionItemSerializer(fresh).data)


class InspectionScoresView(APIView):
    """Mean inspection score (percent) per person and per month (or week) of the tickets' closing. Inspectors,
    supervisors and administrators see everyone; anyone else their own."""

    @extend_schema(
        parameters=[*PERIOD_PARAMS, OpenApiParameter("bucket", str, enum=["month", "week"])],
        responses=inline_serializer(
            "InspectionScores",
            {
                "from": serializers.DateField(),
                "to": serializers.DateField(),
                "bucket": serializers.CharField(),
                "results": inline_serializer(
                    "InspectionScoresRow",
                    {
                        "agent": serializers.IntegerField(),
                        "name": serializers.CharField(),
                        "items": serializers.IntegerField(),
                        "mean_score": serializers.FloatField(allow_null=True),
                        "criteria": serializers.DictField(child=serializers.FloatField(allow_null=True)),
                        "buckets": serializers.ListField(child=serializers.DictField()),
                    },
                    many=True,
                ),
            },
        ),
    )
    def get(self, request):
        params = request.query_params
        try:
            period = r.period_from_params(params)
        except ValidationFailed as exc:
            raise ValidationError(exc.errors) from None
        bucket = params.get("bucket") or "month"
        if bucket not in ("month", "week"):
            raise ValidationError({"bucket": [_("Choose month or week.")]})
        agent = None if qa.may_read_all_scores(request.user) else request.user
        _buckets, people = qa.inspection_scores(period, bucket=bucket, agent=agent)
        return Response(
            {
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "bucket": bucket,
                "results": [
                    {
                        "agent": p.agent_id,
                        "name": p.name,
                        "items": p.items,
                        "mean_score": p.mean,
                        "criteria": p.criteria,
                        "buckets": [
                            {"start": b.isoformat(), "mean_score": v[0], "items": v[1]}
                            for b, v in sorted(p.buckets.items())
                        ],
                    }
                    for p in people
                ],
            }
        )


# Mounted under /api/v1/ by servicedesk/api/urls.py (one include); a SimpleRouter has no root view to shadow the
# main router's.
router = SimpleRouter()
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("inspection-items", InspectionItemViewSet, basename="inspection-item")

urlpatterns = [
    path("reports/summary/", ReportSummaryView.as_view(), name="report-summary"),
    path("reports/breakdown/", ReportBreakdownView.as_view(), name="report-breakdown"),
    path("reports/export/", ReportExportView.as_view(), name="report-export"),
    path("reports/inspection-scores/", InspectionScoresView.as_view(), name="report-inspection-scores"),
    *router.urls,
]
