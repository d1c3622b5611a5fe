from django.conf import settings

from .notifications import unread_count


def navigation(request):
    """What the shared layout needs: the user's roles and unread notifications."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"LANGUAGES": settings.LANGUAGES}

    return {
        "LANGUAGES": settings.LANGUAGES,
        "roles": user.role_names,
        "is_desk": user.is_desk,
        "is_staff_member": user.is_staff_member,
        "unread_notifications": lambda: unread_count(user),  # called lazily by the template, only where shown
    }
