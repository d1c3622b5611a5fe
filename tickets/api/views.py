"""Ticket API: thin; every write goes through tickets.services, every read through tickets.selectors."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets import selectors, services
from tickets.models import Attachment, Ticket

from .filters import TicketFilter
from .serializers import (
    AssignSerializer,
    AttachmentCreateSerializer,
    AttachmentSerializer,
    ClassifySerializer,
    CommentCreateSerializer,
    CommentSerializer,
    DuplicateSerializer,
    EventSerializer,
    ReasonSerializer,
    ResolveSerializer,
    TicketCreateSerializer,
    TicketSerializer,
    VersionedSerializer,
)


class TicketViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TicketSerializer
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9-]+"
    filterset_class = TicketFilter

    def get_queryset(self):
        from sla.selectors import with_sla

        return with_sla(selectors.ticket_list_qs(self.request.user)).order_by("-created_at", "-id")

    def _ticket(self) -> Ticket:
        return self.get_object()

    def _respond(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        from sla.selectors import with_sla

        # Re-read with everything the serializer renders. The step may have taken the ticket out of the caller's
        # sight (a group lead handing it to another group): the step succeeded, so answer with its result anyway.
        fresh = with_sla(
            Ticket.objects.select_related(*selectors.TICKET_LIST_RELATED)
            .prefetch_related(*selectors.TICKET_LIST_LINKED)
            .filter(pk=ticket.pk)
        ).first()
        return Response(TicketSerializer(fresh or ticket, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        s = TicketCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        ticket = services.ticket_create(actor=request.user, data=services.TicketInput(**s.validated_data))
        # A ticket just created holds every column as written and the requester and category the serializer
        # validated: reading it back (a join of seven tables) would cost a fifth of the request. Only the SLA
        # clocks that ticket_create started are fetched.
        from sla.selectors import with_sla

        prefetch_related_objects([ticket], *with_sla(Ticket.objects.none())._prefetch_related_lookups)
        return Response(
            TicketSerializer(ticket, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    def _run(self, serializer_class, service, **fixed):
        s = serializer_class(data=self.request.data)
        s.is_valid(raise_exception=True)
        ticket = service(ticket=self._ticket(), actor=self.request.user, **fixed, **s.validated_data)
        return self._respond(ticket)

    @extend_schema(request=AssignSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        return self._run(AssignSerializer, services.ticket_assign)

    @extend_schema(request=VersionedSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, number=None):
        return self._run(VersionedSerializer, services.ticket_accept)

    @extend_schema(request=ReasonSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def pend(self, request, number=None):
        return self._run(ReasonSerializer, services.ticket_pend)

    @extend_schema(request=VersionedSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, number=None):
        return self._run(VersionedSerializer, services.ticket_resume)

    @extend_schema(request=ResolveSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, number=None):
        return self._run(ResolveSerializer, services.ticket_resolve)

    @extend_schema(request=ReasonSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, number=None):
        return self._run(ReasonSerializer, services.ticket_reopen)

    @extend_schema(request=VersionedSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        return self._run(VersionedSerializer, services.ticket_close)

    @extend_schema(request=ReasonSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._run(ReasonSerializer, services.ticket_cancel)

    @extend_schema(request=ClassifySerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def classify(self, request, number=None):
        s = ClassifySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        if "category" not in data:
            data["category"] = False  # untouched
        ticket = services.ticket_classify(ticket=self._ticket(), actor=request.user, **data)
        return self._respond(ticket)

    @extend_schema(request=DuplicateSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], url_path="mark-duplicate")
    def mark_duplicate(self, request, number=None):
        s = DuplicateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        original = selectors.ticket_get(request.user, s.validated_data["duplicate_of"])
        if original is None:
            return Response({"duplicate_of": [_no_such_ticket()]}, status=status.HTTP_400_BAD_REQUEST)
        ticket = services.ticket_mark_duplicate(ticket=self._ticket(), actor=request.user, original=original)
        return self._respond(ticket)

    @extend_schema(methods=["get"], responses=CommentSerializer(many=True))
    @extend_schema(methods=["post"], request=CommentCreateSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, number=None):
        ticket = self._ticket()
        if request.method == "GET":
            return Response(CommentSerializer(selectors.comments_visible_to(request.user, ticket), many=True).data)
        s = CommentCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        comment = services.comment_create(ticket=ticket, actor=request.user, **s.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=AttachmentSerializer(many=True))
    @extend_schema(methods=["post"], request=AttachmentCreateSerializer, responses={201: AttachmentSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def attachments(self, request, number=None):
        ticket = self._ticket()
        ctx = self.get_serializer_context()
        if request.method == "GET":
            items = selectors.attachments_visible_to(request.user, ticket)
            return Response(AttachmentSerializer(items, many=True, context=ctx).data)
        s = AttachmentCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            ticket=ticket,
            actor=request.user,
            upload=s.validated_data["file"],
            internal=s.validated_data["internal"],
        )
        return Response(AttachmentSerializer(attachment, context=ctx).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, number=None):
        ticket = self._ticket()
        return Response(EventSerializer(selectors.events_visible_to(request.user, ticket), many=True).data)


def _no_such_ticket() -> str:
    from django.utils.translation import gettext as _

    return _("No such ticket.")


def attachment_response(user, attachment_id: int) -> FileResponse:
    """Serve an attachment the user may see: always as a download, never rendered by the browser."""
    attachment = Attachment.objects.select_related("ticket").filter(pk=attachment_id).first()
    if attachment is None or not selectors.tickets_visible_to(user).filter(pk=attachment.ticket_id).exists():
        raise Http404
    if attachment.internal and not selectors.can_read_internal(user, attachment.ticket):
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


class AttachmentDownloadView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk: int):
        return attachment_response(request.user, pk)
