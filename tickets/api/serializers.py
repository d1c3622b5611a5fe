"""Ticket API serializers. Output serializers are read-only; input serializers list their writable fields
explicitly, so nobody can set number, status, timestamps or first-contact resolution by posting them."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from knowledge.models import Article
from servicedesk.models import Category, SupportGroup, User
from tickets.models import Attachment, Comment, Ticket, TicketEvent


class SlaTargetSerializer(serializers.Serializer):
    metric = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    remaining_seconds = serializers.IntegerField(allow_null=True)


class TicketSerializer(serializers.ModelSerializer):
    requester_name = serializers.SerializerMethodField()
    group_name = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    category_name = serializers.SerializerMethodField()
    duplicate_of = serializers.SlugRelatedField(slug_field="number", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="number", read_only=True)
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "number",
            "type",
            "title",
            "description",
            "status",
            "priority",
            "impact",
            "urgency",
            "channel",
            "requester",
            "requester_name",
            "department",
            "contact_email",
            "contact_phone",
            "is_vip",
            "category",
            "category_name",
            "group",
            "group_name",
            "assignee",
            "assignee_name",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "first_contact_resolution",
            "resolution",
            "resolution_article",
            "pending_reason",
            "reopen_count",
            "duplicate_of",
            "parent",
            "version",
            "sla",
        ]
        read_only_fields = fields

    def get_requester_name(self, t: Ticket) -> str:
        return str(t.requester)

    def get_group_name(self, t: Ticket) -> str | None:
        return t.group.name if t.group_id else None

    def get_assignee_name(self, t: Ticket) -> str | None:
        return str(t.assignee) if t.assignee_id else None

    def get_category_name(self, t: Ticket) -> str | None:
        return str(t.category) if t.category_id else None

    @extend_schema_field(SlaTargetSerializer(many=True))
    def get_sla(self, t: Ticket) -> list[dict]:
        from sla.selectors import sla_targets

        return sla_targets(t)


class TicketCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Ticket.Type.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, required=False, default=Ticket.Channel.API)
    impact = serializers.ChoiceField(choices=Ticket.Level.choices, required=False, default=Ticket.Level.LOW)
    urgency = serializers.ChoiceField(choices=Ticket.Level.choices, required=False, default=Ticket.Level.LOW)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    started_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    scope = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class VersionedSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The version you last saw; a mismatch is a 409."),
    )


class AssignSerializer(VersionedSerializer):
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all())
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    auto = serializers.BooleanField(required=False, default=False)


class ReasonSerializer(VersionedSerializer):
    reason = serializers.CharField(max_length=500)


class ResolveSerializer(VersionedSerializer):
    resolution = serializers.CharField(max_length=20000)
    first_contact = serializers.BooleanField(required=False, default=False)
    # Only a published article can be the answer a ticket was resolved with.
    article = serializers.PrimaryKeyRelatedField(
        queryset=Article.objects.filter(status=Article.Status.PUBLISHED), required=False, allow_null=True
    )


class ClassifySerializer(VersionedSerializer):
    impact = serializers.ChoiceField(choices=Ticket.Level.choices, required=False)
    urgency = serializers.ChoiceField(choices=Ticket.Level.choices, required=False)
    type = serializers.ChoiceField(choices=Ticket.Type.choices, required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)


class DuplicateSerializer(serializers.Serializer):
    duplicate_of = serializers.CharField(max_length=32, help_text=_("Number of the original ticket."))


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "body", "internal", "author", "created_at"]
        read_only_fields = fields

    @extend_schema_field(ActorSerializer)
    def get_author(self, c: Comment) -> dict:
        return {"id": c.author_id, "username": c.author.username, "display_name": str(c.author)}


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    internal = serializers.BooleanField(required=False, default=False)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "internal", "created_at", "url"]
        read_only_fields = fields

    def get_url(self, a: Attachment) -> str:
        path = reverse("api:attachment-download", args=[a.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class AttachmentCreateSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    internal = serializers.BooleanField(required=False, default=False)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "at", "data"]
        read_only_fields = fields

    @extend_schema_field(ActorSerializer(allow_null=True))
    def get_actor(self, e: TicketEvent) -> dict | None:
        return {"id": e.actor_id, "username": e.actor.username} if e.actor_id else None
