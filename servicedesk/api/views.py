"""People and configuration API: provisioning by administrators, reads scoped to the caller."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from servicedesk import services
from servicedesk.auth import login_blocked, record_login_failure, reset_login_failures
from servicedesk.models import Category, Department, Role, SupportGroup, User

from .permissions import IsAdminForWrites
from .serializers import (
    CategorySerializer,
    DepartmentSerializer,
    MeSerializer,
    SupportGroupSerializer,
    UserCreateSerializer,
    UserSerializer,
)
from .throttling import TokenThrottle


class TokenView(APIView):
    """Exchange a username and password for an API token. Throttled and locked out like the login page."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        from django.contrib.auth import authenticate
        from django.utils.translation import gettext as _

        data = request.data if hasattr(request.data, "get") else {}
        username = str(data.get("username", ""))
        password = str(data.get("password", ""))
        errors = {}
        if not username:
            errors["username"] = [_("This field is required.")]
        if not password:
            errors["password"] = [_("This field is required.")]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        if login_blocked(request, username):
            return Response(
                {"detail": _("Too many failed attempts. Try again in a few minutes.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        user = authenticate(request, username=username, password=password)
        if user is None:
            record_login_failure(request, username)
            return Response(
                {"non_field_errors": [_("Unable to log in with the username and password given.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        reset_login_failures(request, username)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class UserViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAdminForWrites]
    serializer_class = UserSerializer
    filterset_fields = ["customer_tier", "department", "is_active"]

    def get_queryset(self):
        qs = User.objects.prefetch_related("groups").order_by("pk")
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller to scope by
            return qs.none()
        user = self.request.user
        if user.has_role(
            Role.ADMIN,
            Role.AGENT,
            Role.SUPERVISOR,
            Role.CALLBACK_AGENT,
            Role.QUALITY_ANALYST,
            Role.INCIDENT_MANAGER,
        ):
            return qs
        return qs.filter(pk=user.pk)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request, *args, **kwargs):
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(actor=request.user, **data.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class DepartmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAdminForWrites]
    serializer_class = DepartmentSerializer
    queryset = Department.objects.order_by("name", "pk")

    def create(self, request, *args, **kwargs):
        data = DepartmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        department = services.department_create(actor=request.user, name=data.validated_data["name"])
        return Response(DepartmentSerializer(department).data, status=status.HTTP_201_CREATED)


class SupportGroupViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAdminForWrites]
    serializer_class = SupportGroupSerializer
    queryset = SupportGroup.objects.prefetch_related(Prefetch("members", queryset=User.objects.only("pk"))).order_by(
        "name", "pk"
    )

    def create(self, request, *args, **kwargs):
        data = SupportGroupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.support_group_create(
            actor=request.user,
            name=data.validated_data["name"],
            members=data.validated_data.get("members", []),
            lead=data.validated_data.get("lead"),
            is_field_team=data.validated_data.get("is_field_team", False),
        )
        return Response(SupportGroupSerializer(group).data, status=status.HTTP_201_CREATED)


class CategoryViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsAdminForWrites]
    serializer_class = CategorySerializer
    queryset = Category.objects.order_by("name", "pk")

    def create(self, request, *args, **kwargs):
        data = CategorySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.category_create(
            actor=request.user,
            name=data.validated_data["name"],
            parent=data.validated_data.get("parent"),
            default_group=data.validated_data.get("default_group"),
        )
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)
