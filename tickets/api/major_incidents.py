"""Major-incident API. Thin: writes through tickets.major_incidents, reads through its selectors.

- `GET /api/v1/major-incidents/` (`?status=open|resolved`) and `GET .../{id}/` — staff see all; others those
  that affect them.
- `POST /api/v1/major-incidents/` `{"ticket": number, "summary"}` → 201: declare (the incident manager).
- `POST .../{id}/link/` `{"tickets": [numbers]}` (or `"ticket"`), `POST .../{id}/unlink/` `{"ticket"}`.
- `GET|POST .../{id}/updates/` `{"body", "notice": bool, "owner_group": id}` → 201: the timeline; each update is
  broadcast, and with `notice` also published as an outage notice.
- `POST .../{id}/resolve/` `{"resolution"}`: resolves the incident and its open linked tickets.
- `POST .../{id}/subscribe/`, `/unsubscribe/` (optional `user` id: the manager subscribing someone else)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.errors import ValidationFailed
from servicedesk.models import SupportGroup, User
from tickets import major_incidents as mi
from tickets import selectors as ticket_selectors
from tickets.models import MajorIncident, MajorIncidentUpdate, Ticket


class MajorIncidentUpdateSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = MajorIncidentUpdate
        fields = ["id", "kind", "body", "author", "at", "as_notice", "recipients"]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_author(self, u: MajorIncidentUpdate) -> dict | None:
        return {"id": u.author_id, "username": u.author.username} if u.author_id else None


class MajorIncidentSerializer(serializers.ModelSerializer):
    ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    title = serializers.CharField(source="ticket.title", read_only=True)
    manager = serializers.SlugRelatedField(slug_field="username", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    linked_tickets = serializers.SerializerMethodField()
    updates = serializers.SerializerMethodField()

    class Meta:
        model = MajorIncident
        fields = [
            "id",
            "ticket",
            "title",
            "summary",
            "status",
            "manager",
            "declared_at",
            "resolved_at",
            "resolved_by",
            "resolution",
            "linked_tickets",
            "updates",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_linked_tickets(self, incident: MajorIncident) -> list[str]:
        # Numbers are not personal data, but only staff need the whole list.
        request = self.context.get("request")
        if request is not None and not request.user.is_staff_member:
            return []
        return [t.number for t in incident.ticket.children.all()]

    @extend_schema_field(MajorIncidentUpdateSerializer(many=True))
    def get_updates(self, incident: MajorIncident) -> list[dict]:
        return MajorIncidentUpdateSerializer(incident.updates.all(), many=True).data


class MajorIncidentDeclareSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=32, help_text=gettext_lazy("Number of the ticket to declare."))
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class MajorIncidentLinkSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=32, required=False)
    tickets = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=500)

    def validate(self, attrs):
        numbers = list(attrs.get("tickets") or [])
        if attrs.get("ticket"):
            numbers.insert(0, attrs["ticket"])
        if not numbers:
            raise serializers.ValidationError({"tickets": [_("Give the number of at least one ticket.")]})
        return {"numbers": list(dict.fromkeys(n.strip().upper() for n in numbers))}


class MajorIncidentUpdateCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    notice = serializers.BooleanField(required=False, default=False)
    owner_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True, default=None
    )


class MajorIncidentResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=5000)


class MajorIncidentSubscribeSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)


class MajorIncidentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MajorIncidentSerializer

    def get_queryset(self):
        qs = mi.major_incidents_visible_to(self.request.user).select_related("ticket", "manager", "resolved_by")
        qs = qs.prefetch_related(
            Prefetch("updates", queryset=MajorIncidentUpdate.objects.select_related("author").order_by("at", "id")),
            Prefetch("ticket__children", queryset=Ticket.objects.only("pk", "number", "parent_id").order_by("pk")),
        )
        state = self.request.query_params.get("status", "")
        if state in MajorIncident.Status.values:
            qs = qs.filter(status=state)
        return qs.order_by("-declared_at", "-id")

    def _incident(self) -> MajorIncident:
        return self.get_object()

    def _respond(self, incident: MajorIncident, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=incident.pk).first() or incident
        return Response(MajorIncidentSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _ticket(self, number: str, field: str = "ticket") -> Ticket:
        ticket = ticket_selectors.ticket_get(self.request.user, number)
        if ticket is None:
            raise ValidationFailed({field: [_("No such ticket: %(number)s.") % {"number": number}]})
        return ticket

    @extend_schema(request=MajorIncidentDeclareSerializer, responses={201: MajorIncidentSerializer})
    def create(self, request, *args, **kwargs):
        s = MajorIncidentDeclareSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        mi._require_manager(request.user)
        ticket = self._ticket(s.validated_data["ticket"].strip().upper())
        incident = mi.major_incident_declare(ticket=ticket, actor=request.user, summary=s.validated_data["summary"])
        return self._respond(incident, status.HTTP_201_CREATED)

    @extend_schema(request=MajorIncidentLinkSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        incident = self._incident()
        mi.require_linker(request.user)
        s = MajorIncidentLinkSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        tickets = [self._ticket(n, "tickets") for n in s.validated_data["numbers"]]
        with transaction.atomic():  # all or none
            for ticket in tickets:
                mi.major_incident_link(incident=incident, ticket=ticket, actor=request.user)
        return self._respond(incident)

    @extend_schema(request=MajorIncidentLinkSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def unlink(self, request, pk=None):
        incident = self._incident()
        mi.require_linker(request.user)
        s = MajorIncidentLinkSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        tickets = [self._ticket(n, "tickets") for n in s.validated_data["numbers"]]
        with transaction.atomic():
            for ticket in tickets:
                mi.major_incident_unlink(incident=incident, ticket=ticket, actor=request.user)
        return self._respond(incident)

    @extend_schema(methods=["get"], responses=MajorIncidentUpdateSerializer(many=True))
    @extend_schema(
        methods=["post"], request=MajorIncidentUpdateCreateSerializer, responses={201: MajorIncidentUpdateSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def updates(self, request, pk=None):
        incident = self._incident()
        if request.method == "GET":
            return Response(MajorIncidentUpdateSerializer(incident.updates.all(), many=True).data)
        s = MajorIncidentUpdateCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        update = mi.major_incident_update(
            incident=incident,
            actor=request.user,
            body=s.validated_data["body"],
            as_notice=s.validated_data["notice"],
            owner_group=s.validated_data["owner_group"],
        )
        return Response(MajorIncidentUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MajorIncidentResolveSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        incident = self._incident()
        s = MajorIncidentResolveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = mi.major_incident_resolve(
            incident=incident, actor=request.user, resolution=s.validated_data["resolution"]
        )
        return self._respond(incident)

    @extend_schema(request=MajorIncidentSubscribeSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def subscribe(self, request, pk=None):
        incident = self._incident()
        s = MajorIncidentSubscribeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        mi.major_incident_subscribe(incident=incident, actor=request.user, user=s.validated_data.get("user"))
        return self._respond(incident)

    @extend_schema(request=MajorIncidentSubscribeSerializer, responses=MajorIncidentSerializer)
    @action(detail=True, methods=["post"])
    def unsubscribe(self, request, pk=None):
        incident = self._incident()
        s = MajorIncidentSubscribeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        mi.major_incident_unsubscribe(incident=incident, actor=request.user, user=s.validated_data.get("user"))
        return self._respond(incident)
