"""Anonymous status lookup: a ticket number plus the requester's email or phone. A wrong number and a wrong
contact get the same 404, and each client address gets at most 10 tries a minute."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from servicedesk.api.throttling import ClientAddressThrottle
from tickets.models import Ticket


class StatusLookupThrottle(ClientAddressThrottle):
    """Keyed by client address whether or not the caller is signed in."""

    scope = "status_lookup"


class StatusLookupSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=32)
    contact = serializers.CharField(max_length=254)


class PublicStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["number", "title", "status", "created_at", "updated_at", "resolved_at"]
        read_only_fields = fields


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def ticket_for_contact(number: str, contact: str) -> Ticket | None:
    """The ticket `number` if `contact` is its requester's email or phone (as recorded or in the profile)."""
    contact = contact.strip()
    if not contact:
        return None
    ticket = Ticket.objects.select_related("requester").filter(number__iexact=number.strip()).first()
    if ticket is None:
        return None
    if "@" in contact:
        emails = {e.lower() for e in (ticket.contact_email, ticket.requester.email) if e}
        return ticket if contact.lower() in emails else None
    digits = _digits(contact)
    phones = {_digits(p) for p in (ticket.contact_phone, ticket.requester.phone) if p}
    return ticket if len(digits) >= 5 and digits in phones else None


class PublicStatusView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [StatusLookupThrottle]

    @extend_schema(request=StatusLookupSerializer, responses={200: PublicStatusSerializer})
    def post(self, request):
        s = StatusLookupSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        ticket = ticket_for_contact(s.validated_data["number"], s.validated_data["contact"])
        if ticket is None:
            return Response(
                {"detail": _("No ticket matches this number and contact.")}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(PublicStatusSerializer(ticket).data)
