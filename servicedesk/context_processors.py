from django.conf import settings

from .models import Notification


def navigation(request):
    """What the shared layout needs: the user's roles and unread notifications."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"LANGUAGES": settings.LANGUAGES}

    def unread():
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    return {
        "LANGUAGES": settings.LANGUAGES,
        "roles": user.role_names,
        "is_desk": user.is_desk,
        "is_staff_member": user.is_staff_member,
        "unread_notifications": unread,  # called lazily by the template, only where shown
    }
