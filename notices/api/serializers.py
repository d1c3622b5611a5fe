"""Notice API serializers. Output is read-only; input lists its writable fields, so nobody can set the status,
the reviewer, the publisher or the approved hash by posting them. Cross-field rules (window, expiry) are the
service's: they come back as 400 field errors from there."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notices.models import Notice, NoticeDelivery, NoticeEvent
from servicedesk.models import Category, Department, Role, SupportGroup


class NoticePersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


def _person(user) -> dict | None:
    return {"id": user.pk, "username": user.username, "name": str(user)} if user is not None else None


class NoticeSerializer(serializers.ModelSerializer):
    owner_group_name = serializers.CharField(source="owner_group.name", read_only=True)
    categories = serializers.SerializerMethodField()
    audience_departments = serializers.SerializerMethodField()
    audience_roles = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    reviewer = serializers.SerializerMethodField()
    publisher = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id",
            "type",
            "title",
            "body",
            "body_html",
            "severity",
            "categories",
            "window_start",
            "window_end",
            "audience_departments",
            "audience_roles",
            "owner_group",
            "owner_group_name",
            "author",
            "reviewer",
            "publisher",
            "status",
            "publish_at",
            "expire_at",
            "submitted_at",
            "reviewed_at",
            "rejection_reason",
            "approved_hash",
            "published_at",
            "published_on_behalf",
            "is_late",
            "ended_at",
            "created_at",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    # The M2M come from with_details()' prefetches: read them through .all() so no row costs a query.
    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_categories(self, n: Notice) -> list[int]:
        return [c.pk for c in n.categories.all()]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_audience_departments(self, n: Notice) -> list[int]:
        return [d.pk for d in n.audience_departments.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_audience_roles(self, n: Notice) -> list[str]:
        return [r.role for r in n.audience_role_rows.all()]

    @extend_schema_field(NoticePersonSerializer(allow_null=True))
    def get_author(self, n: Notice) -> dict | None:
        return _person(n.author)

    @extend_schema_field(NoticePersonSerializer(allow_null=True))
    def get_reviewer(self, n: Notice) -> dict | None:
        return _person(n.reviewer)

    @extend_schema_field(NoticePersonSerializer(allow_null=True))
    def get_publisher(self, n: Notice) -> dict | None:
        return _person(n.publisher)

    def get_url(self, n: Notice) -> str:
        path = reverse("notices:detail", args=[n.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class NoticeWriteSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Notice.Type.choices)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000)
    owner_group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all())
    severity = serializers.ChoiceField(choices=Notice.Severity.choices, required=False, default=Notice.Severity.INFO)
    window_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    window_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    publish_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    expire_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    categories = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), many=True, required=False, default=list
    )
    audience_departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False, default=list
    )
    audience_roles = serializers.ListField(
        child=serializers.CharField(max_length=32),
        required=False,
        default=list,
        help_text=_(
            "Role names (end_user, agent, callback_agent, technician, incident_manager, quality_analyst, "
            "supervisor, admin); with no departments and no roles the notice is for everyone."
        ),
    )

    def validate_audience_roles(self, value: list[str]) -> list[str]:
        # One flat message (API.md: {"field": ["message"]}), not one per list position.
        unknown = [r for r in value if r not in Role.values]
        if unknown:
            raise serializers.ValidationError(_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)})
        return list(dict.fromkeys(value))


class NoticeUpdateSerializer(NoticeWriteSerializer):
    """PATCH: any subset of the content; a change after approval sends the notice back to draft."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.required = False
            # A partial update must not reset omitted fields to their create-time defaults.
            f.default = serializers.empty


class NoticeReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class NoticeWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class NoticeEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = NoticeEvent
        fields = ["id", "kind", "actor", "at", "data"]
        read_only_fields = fields

    @extend_schema_field(NoticePersonSerializer(allow_null=True))
    def get_actor(self, e: NoticeEvent) -> dict | None:
        return _person(e.actor)


class NoticeDeliveryProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    sending = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    done_percent = serializers.IntegerField()


class NoticeDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = NoticeDelivery
        fields = ["id", "recipient", "email", "status", "attempts", "last_error", "sent_at", "updated_at"]
        read_only_fields = fields


class NoticeDeliveryReportSerializer(serializers.Serializer):
    progress = NoticeDeliveryProgressSerializer()
    failures = NoticeDeliverySerializer(many=True)


class NoticeResendResultSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
