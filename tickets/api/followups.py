"""Follow-up and complaint API: thin; writes go through tickets.followups / tickets.complaints, reads through
tickets.followup_selectors."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from servicedesk.api.permissions import role_permission
from servicedesk.errors import NotAllowed
from servicedesk.models import SupportGroup, User
from tickets import complaints, followups
from tickets import followup_selectors as fs
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.models import Complaint, FollowUp, Ticket

# --- follow-ups ----------------------------------------------------------------------------------------


class FollowUpSerializer(serializers.ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    ticket_title = serializers.CharField(source="ticket.title", read_only=True)
    ticket_status = serializers.CharField(source="ticket.status", read_only=True)
    requester_name = serializers.SerializerMethodField()
    requester_phone = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    attempts = serializers.IntegerField(source="attempt_count", read_only=True)
    last_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "ticket",
            "ticket_title",
            "ticket_status",
            "requester_name",
            "requester_phone",
            "assignee",
            "assignee_name",
            "due_at",
            "state",
            "overdue",
            "attempts",
            "last_attempt_at",
            "satisfaction",
            "fix_confirmed",
            "comment",
            "outcome",
            "completed_at",
            "created_at",
            "version",
        ]
        read_only_fields = fields

    def get_requester_name(self, f: FollowUp) -> str:
        return str(f.ticket.requester)

    def get_requester_phone(self, f: FollowUp) -> str:
        return f.ticket.contact_phone or f.ticket.requester.phone

    def get_assignee_name(self, f: FollowUp) -> str | None:
        return str(f.assignee) if f.assignee_id else None

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, f: FollowUp) -> bool:
        now = self.context.get("now")
        return f.state == FollowUp.State.DUE and now is not None and f.due_at < now


class FollowUpRecordSerializer(serializers.Serializer):
    reached = serializers.BooleanField(help_text=gettext_lazy("Did you reach the user?"))
    satisfaction = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=5,
        help_text=gettext_lazy("1 (very dissatisfied) to 5 (very satisfied); required when reached."),
    )
    fix_confirmed = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Does the fix hold? Not confirmed reopens the ticket."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The version you last saw; a mismatch (someone else recorded meanwhile) is a 409."),
    )


class FollowUpViewSet(viewsets.ReadOnlyModelViewSet):
    """Callbacks after resolution. Callback agents, desk agents, supervisors and administrators."""

    serializer_class = FollowUpSerializer
    permission_classes = [role_permission(*fs.FOLLOWUP_ROLES)]
    filterset_class = None
    filter_backends: list = []

    def get_serializer_context(self):
        from django.utils import timezone

        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=list(fs.STATE_FILTERS)),
            OpenApiParameter("assignee", int, description=gettext_lazy("Callback agent (user id)")),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = fs.followup_list_qs()
        if self.action != "list":
            return qs
        params = self.request.query_params
        errors = {}
        state = params.get("state", "")
        if state and state not in fs.STATE_FILTERS:
            errors["state"] = [_("Choose one of: %(states)s.") % {"states": ", ".join(fs.STATE_FILTERS)}]
        assignee = params.get("assignee", "")
        if assignee and not assignee.isdigit():
            errors["assignee"] = [_("Give the callback agent's user id.")]
        if errors:
            raise ValidationError(errors)
        qs = fs.followup_filter(qs, state=state, assignee=int(assignee) if assignee else None)
        return qs.order_by("due_at", "pk")

    @extend_schema(request=FollowUpRecordSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        followup = self.get_object()
        s = FollowUpRecordSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        followups.followup_record(followup=followup, actor=request.user, **s.validated_data)
        fresh = fs.followup_list_qs().get(pk=followup.pk)
        return Response(FollowUpSerializer(fresh, context=self.get_serializer_context()).data)


# --- complaints ----------------------------------------------------------------------------------------


class ComplaintSerializer(serializers.ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    ticket_title = serializers.CharField(source="ticket.title", read_only=True)
    ticket_status = serializers.CharField(source="ticket.status", read_only=True)
    complainant = serializers.IntegerField(source="ticket.requester_id", read_only=True)
    about_ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    group_name = serializers.SerializerMethodField()
    responsible_name = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "ticket",
            "ticket_title",
            "ticket_status",
            "complainant",
            "about",
            "about_group",
            "about_person",
            "about_ticket",
            "group",
            "group_name",
            "responsible",
            "responsible_name",
            "result",
            "result_at",
            "result_by",
            "satisfaction",
            "satisfaction_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_group_name(self, c: Complaint) -> str | None:
        return c.group.name if c.group_id else None

    def get_responsible_name(self, c: Complaint) -> str | None:
        return str(c.responsible) if c.responsible_id else None


class ComplaintCreateSerializer(serializers.Serializer):
    about = serializers.ChoiceField(choices=Complaint.About.choices)
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all(), required=False, allow_null=True)
    person = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    about_ticket = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("Number of the earlier ticket.")
    )
    ticket = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Number of an existing complaint ticket; leave out to file a new one from title etc."),
    )
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, required=False, default=Ticket.Channel.API)
    impact = serializers.ChoiceField(choices=Ticket.Level.choices, required=False, default=3)
    urgency = serializers.ChoiceField(choices=Ticket.Level.choices, required=False, default=3)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


class ComplaintResultSerializer(serializers.Serializer):
    result = serializers.CharField(max_length=20000)


class ComplaintSatisfactionSerializer(serializers.Serializer):
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)


class TeamComplaintsSerializer(serializers.Serializer):
    group = serializers.IntegerField(source="group_id", allow_null=True)
    group_name = serializers.CharField(allow_null=True)
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    answered = serializers.IntegerField()
    avg_satisfaction = serializers.FloatField(allow_null=True)


class ComplaintViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Complaints: registered by the desk, routed to the responsible person, answered with a result."""

    serializer_class = ComplaintSerializer
    filter_backends: list = []

    def get_queryset(self):
        return fs.complaints_visible_to(self.request.user).order_by("-created_at", "-id")

    def _respond(self, complaint: Complaint, code: int = status.HTTP_200_OK) -> Response:
        fresh = fs.complaint_list_qs().get(pk=complaint.pk)
        return Response(ComplaintSerializer(fresh).data, status=code)

    @extend_schema(request=ComplaintCreateSerializer, responses={201: ComplaintSerializer})
    def create(self, request, *args, **kwargs):
        s = ComplaintCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        user = request.user
        if not user.has_role(*fs.COMPLAINT_REGISTER_ROLES):
            raise NotAllowed(_("Only the service desk registers complaints."))
        about_ticket = ticket = data = None
        if d["about_ticket"]:
            about_ticket = ticket_selectors.ticket_get(user, d["about_ticket"])
            if about_ticket is None:
                raise ValidationError({"about_ticket": [_("No such ticket.")]})
        if d["ticket"]:
            ticket = ticket_selectors.ticket_get(user, d["ticket"])
            if ticket is None:
                raise ValidationError({"ticket": [_("No such ticket.")]})
        else:
            if not d["title"].strip():
                raise ValidationError({"title": [_("Give the complaint a short title.")]})
            data = ticket_services.TicketInput(
                type=Ticket.Type.COMPLAINT,
                title=d["title"],
                description=d["description"],
                channel=d["channel"],
                impact=d["impact"],
                urgency=d["urgency"],
                requester=d.get("requester"),
            )
        complaint = complaints.complaint_register(
            actor=user,
            about=d["about"],
            group=d.get("group"),
            person=d.get("person"),
            about_ticket=about_ticket,
            ticket=ticket,
            data=data,
        )
        return self._respond(complaint, status.HTTP_201_CREATED)

    @extend_schema(request=ComplaintResultSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def result(self, request, pk=None):
        s = ComplaintResultSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        complaint = complaints.complaint_record_result(
            complaint=self.get_object(), actor=request.user, result=s.validated_data["result"]
        )
        return self._respond(complaint)

    @extend_schema(request=ComplaintSatisfactionSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def satisfaction(self, request, pk=None):
        s = ComplaintSatisfactionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        complaint = complaints.complaint_record_satisfaction(
            complaint=self.get_object(), actor=request.user, satisfaction=s.validated_data["satisfaction"]
        )
        return self._respond(complaint)

    @extend_schema(
        responses=TeamComplaintsSerializer(many=True),
        parameters=[OpenApiParameter("from", str), OpenApiParameter("to", str)],
    )
    @action(detail=False, methods=["get"], url_path="by-team", pagination_class=None)
    def by_team(self, request):
        """Complaint counts per team for managers (supervisors, administrators, quality analysts)."""
        if not fs.may_see_complaint_figures(request.user):
            raise NotAllowed()
        since, until = _period(request.query_params)
        rows = fs.complaint_counts_by_group(since=since, until=until)
        return Response(TeamComplaintsSerializer(rows, many=True).data)


def _period(params):
    """`from` / `to` dates (both included) in the server's time zone → [since, until)."""
    from datetime import date, datetime, time, timedelta

    from django.utils import timezone

    bounds = []
    for key, shift in (("from", 0), ("to", 1)):
        raw = params.get(key, "")
        if not raw:
            bounds.append(None)
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise ValidationError({key: [_("Give a date as YYYY-MM-DD.")]}) from None
        bounds.append(timezone.make_aware(datetime.combine(day + timedelta(days=shift), time.min)))
    return bounds[0], bounds[1]
