"""One place maps domain errors to HTTP: 400 field errors, 403, 404, 409 (illegal step or lost race), 413."""

from __future__ import annotations

from django.db import OperationalError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from servicedesk.errors import DomainError, ValidationFailed


def exception_handler(exc, context):
    if isinstance(exc, ValidationFailed):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message}, status=exc.status_code)
    if isinstance(exc, OperationalError) and "could not obtain lock" in str(exc):
        return Response({"detail": _("Someone else is changing this right now. Try again.")}, status=409)
    return drf_exception_handler(exc, context)
