"""Shared pages: home (routes each role to its workspace), login with brute-force protection, logout,
notifications, health check."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .auth import login_blocked, record_login_failure, reset_login_failures
from .models import Notification, Role


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.has_role(Role.CALLBACK_AGENT) and not user.is_desk:
        return redirect("followups:worklist")  # a callback agent's day starts on the callback list
    if user.has_role(
        Role.AGENT,
        Role.SUPERVISOR,
        Role.ADMIN,
        Role.CALLBACK_AGENT,
        Role.QUALITY_ANALYST,
        Role.INCIDENT_MANAGER,
    ):
        return redirect("tickets:queue")
    if user.has_role(Role.TECHNICIAN):
        return redirect("tickets:my_work")
    return redirect("tickets:portal")


class ThrottledAuthenticationForm(forms.Form):
    """The login form, refusing further tries for a while after repeated failures."""

    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self):
        from django.contrib.auth import authenticate

        username = self.cleaned_data.get("username", "")
        password = self.cleaned_data.get("password", "")
        if not username or not password:
            return self.cleaned_data
        if login_blocked(self.request, username):
            raise forms.ValidationError(_("Too many failed attempts. Try again in a few minutes."), code="throttled")
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            record_login_failure(self.request, username)
            raise forms.ValidationError(_("Wrong username or password."), code="invalid_login")
        if not self.user_cache.is_active:
            raise forms.ValidationError(_("This account is inactive."), code="inactive")
        reset_login_failures(self.request, username)
        return self.cleaned_data

    def get_user(self):
        return self.user_cache


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if user.language:
            from django.conf import settings

            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response


class LogoutView(auth_views.LogoutView):
    pass


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(recipient=request.user)
    if request.method == "POST":
        updated = qs.filter(read_at__isnull=True).update(read_at=timezone.now())
        messages.success(request, _("%(count)d notifications marked as read.") % {"count": updated})
        return redirect("notifications")
    page = Paginator(qs.order_by("-created_at", "-id"), 25).get_page(request.GET.get("page"))
    return render(request, "notifications.html", {"page": page})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
