from rest_framework.permissions import SAFE_METHODS, BasePermission

from servicedesk.models import Role


class IsAdminForWrites(BasePermission):
    """Anyone signed in may read; only administrators (and superusers) may write."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or request.user.has_role(Role.ADMIN)


class HasRole(BasePermission):
    roles: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.has_role(*self.roles))


def role_permission(*roles: str) -> type[BasePermission]:
    return type("HasRoles", (HasRole,), {"roles": roles})
