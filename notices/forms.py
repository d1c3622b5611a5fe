"""Forms of the notice pages. They parse and check types; the rules (window, expiry, who may) are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.models import Category, Department, Role, SupportGroup, User

from .models import Notice


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")

    def format_value(self, value: Any) -> Any:
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value)
        return super().format_value(value)


def _dt(label, help_text="") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=help_text,
    )


class NoticeForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=Notice.Type.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Notice.Severity.choices, initial=Notice.Severity.INFO)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happens, when, who is affected and what to do. Markdown: **bold**, lists, links."),
    )
    owner_group = forms.ModelChoiceField(label=_("Owner team"), queryset=SupportGroup.objects.none())
    categories = forms.ModelMultipleChoiceField(
        label=_("Affected services"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    window_start = _dt(_("Starts at"), _("When the work or the outage starts (required for planned maintenance)."))
    window_end = _dt(_("Ends at"))
    publish_at = _dt(_("Publish at"), _("Leave empty to publish by hand once approved."))
    expire_at = _dt(_("Expire at"), _("When the notice stops being shown. Leave empty to keep it until withdrawn."))
    audience_departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    audience_roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("With no department and no role chosen, the notice is for everyone."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from . import rules

        groups = SupportGroup.objects.filter(is_active=True)
        if not user.has_role(*rules.DRAFT_ANY_TEAM_ROLES):
            groups = groups.filter(pk__in=list(rules._group_ids(user)))
        self.fields["owner_group"].queryset = groups.order_by("name")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
