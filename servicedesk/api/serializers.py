"""Input and output serializers for people and configuration. Inputs validate shape; services write."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from servicedesk.models import Category, CustomerTier, Department, Role, SupportGroup, User


class UserRefSerializer(serializers.ModelSerializer):
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]

    def get_display_name(self, user: User) -> str:
        return str(user)


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "phone",
            "display_name",
            "roles",
            "customer_tier",
            "department",
            "is_active",
            "date_joined",
        ]

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.role_names)


class UserCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]{1,150}$",
        error_messages={"invalid": _("Use at most 150 letters, digits and @/./+/-/_ only.")},
    )
    password = serializers.CharField(write_only=True, min_length=8, max_length=128)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), required=False, default=list, allow_empty=True
    )
    customer_tier = serializers.ChoiceField(choices=CustomerTier.choices, required=False, default=CustomerTier.STANDARD)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True, default=None
    )
    language = serializers.ChoiceField(choices=["", "en", "zh-hans"], required=False, default="")


class MeSerializer(UserSerializer):
    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "language"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "created_at"]
        read_only_fields = ["id", "created_at"]


class SupportGroupSerializer(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    lead = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)

    class Meta:
        model = SupportGroup
        fields = ["id", "name", "members", "lead", "is_field_team", "is_active"]
        read_only_fields = ["id", "is_active"]
        extra_kwargs = {"name": {"validators": []}}


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    default_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Category
        fields = ["id", "name", "parent", "default_group", "is_active"]
        read_only_fields = ["id", "is_active"]
        validators = []
