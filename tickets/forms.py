"""Forms of the ticket pages. They parse and validate input; the services do every write (and re-check
every rule), so a form never saves a model itself."""

from __future__ import annotations

import re

from django import forms
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

from knowledge.models import Article
from servicedesk.errors import ValidationFailed
from servicedesk.models import Category, SupportGroup, User

from .models import Ticket
from .selectors import QUEUES

T = Ticket

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def active_categories() -> QuerySet[Category]:
    # str(category) names its parent: join two levels so a select of categories is one query.
    return (
        Category.objects.filter(is_active=True)
        .select_related("parent", "parent__parent")
        .order_by("parent__name", "name")
    )


class PageForm(forms.Form):
    """Marks invalid widgets with aria-invalid (Pico styles them) and ties them to their error text."""

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self.auto_id % name}_error" if self.auto_id else f"{name}_error"


def apply_domain_errors(form: forms.Form, exc: ValidationFailed, *, field_map: dict[str, str] | None = None) -> None:
    """Show a service's field errors on the form's fields; errors for fields the form lacks go on top."""
    field_map = field_map or {}
    for field, messages in exc.errors.items():
        name = field_map.get(field, field)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)


# --- agent workspace ---------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """The queue's tab, filters, search and sort, read from the query string (never saved)."""

    ORDERING_CHOICES = [
        ("-created_at", _("Newest first")),
        ("created_at", _("Oldest first")),
        ("-updated_at", _("Recently updated")),
        ("priority", _("Priority (highest first)")),
        ("sla_due", _("SLA due (soonest first)")),
    ]

    queue = forms.ChoiceField(choices=[(q, q) for q in QUEUES], required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, title, description or requester")}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    group = forms.ChoiceField(label=_("Group"), required=False)
    ordering = forms.ChoiceField(label=_("Sort"), choices=ORDERING_CHOICES, required=False)
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[("", _("Any")), ("breached", _("Breached")), ("warning", _("At risk")), ("running", _("On track"))],
    )

    def __init__(self, *args, groups: list[tuple[int, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        self.fields["status"].choices = anything + list(T.Status.choices)
        self.fields["type"].choices = anything + list(T.Type.choices)
        self.fields["priority"].choices = anything + [(str(v), label) for v, label in T.Priority.choices]
        self.fields["group"].choices = anything + [(str(pk), name) for pk, name in (groups or [])]

    @classmethod
    def parse(cls, data, *, groups: list[tuple[int, str]], default_queue: str = "open") -> dict[str, str]:
        """The valid values from the query string; an invalid one is dropped (a stale bookmark still opens)."""
        form = cls(groups=groups)
        out: dict[str, str] = {}
        for name, field in form.fields.items():
            value = str(data.get(name, "") or "").strip()
            if name == "q":
                out[name] = value[:200]
            else:
                out[name] = value if value in {str(k) for k, _label in field.choices} else ""
        out["queue"] = out["queue"] or default_queue
        out["ordering"] = out["ordering"] or "-created_at"
        return out


# --- intake ----------------------------------------------------------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def requester_candidates(term: str, limit: int = 10) -> QuerySet[User]:
    """People matching a name, username, email or phone fragment, for the intake lookup."""
    term = (term or "").strip()
    if len(term) < 2 and not (term and not term.isascii()):  # one Chinese character may be a surname
        return User.objects.none()
    match = (
        Q(display_name__icontains=term)
        | Q(username__icontains=term)
        | Q(email__icontains=term)
        | Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
    )
    digits = _digits(term)
    if len(digits) >= 4:
        match |= Q(phone_digits__contains=digits)
    return (
        User.objects.annotate(phone_digits=phone_digits())
        .filter(match, is_active=True)
        .select_related("department")
        .order_by("display_name", "username")[:limit]
    )


def phone_digits():
    """The phone column without the usual separators, portable to SQLite (no regexp_replace there)."""
    expr = F("phone")
    for sep in (" ", "-", "+", "(", ")", "."):
        expr = Replace(expr, Value(sep), Value(""))
    return expr


class RequesterField(forms.ModelChoiceField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs) -> None:
        super().__init__(queryset=User.objects.filter(is_active=True), required=False, **kwargs)


class IntakeForm(PageForm):
    """The desk's fast intake for phone and walk-in reports."""

    requester = RequesterField(label=_("Requester"))
    requester_query = forms.CharField(
        label=_("Find the requester"),
        required=False,
        max_length=150,
        help_text=_("Name, username, email or phone. Leave empty for a caller who is not in the directory."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    type = forms.ChoiceField(label=_("Type"), choices=T.Type.choices, initial=T.Type.INCIDENT)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[c for c in T.Channel.choices if c[0] != T.Channel.API],
        initial=T.Channel.PHONE,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, empty_label=_("— not classified —")
    )
    impact = forms.TypedChoiceField(label=_("Impact"), choices=T.Level.choices, coerce=int, initial=T.Level.LOW)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=T.Level.choices, coerce=int, initial=T.Level.LOW)
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=40)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    started_at = forms.DateTimeField(
        label=_("Symptom started at"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    scope = forms.CharField(
        label=_("Scope of impact"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. one user, the whole floor, all branches")}),
    )
    resolve_now = forms.BooleanField(label=_("Resolved on first contact"), required=False)
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    dispatch_now = forms.BooleanField(label=_("Dispatch now"), required=False)
    group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label=_("— the category's default group —"),
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— the group's queue —"),
    )
    # Set by the suggestions panel: the knowledge article the report was resolved with, or the open ticket it repeats.
    kb_article = forms.ModelChoiceField(
        label=_("Knowledge article used"), queryset=Article.objects.none(), required=False, widget=forms.HiddenInput
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of (ticket number)"), required=False, max_length=32, widget=forms.HiddenInput
    )
    # A report of an outage already declared a major incident is linked to it and hears its updates.
    major_incident = forms.ModelChoiceField(
        label=_("Part of a major incident"),
        queryset=None,
        required=False,
        empty_label=_("— no —"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from .major_incidents import open_major_incidents

        self.fields["major_incident"].queryset = open_major_incidents()
        self.fields["major_incident"].label_from_instance = lambda mi: f"{mi.ticket.number} · {mi.ticket.title}"
        self.fields["category"].queryset = active_categories()
        self.fields["group"].queryset = SupportGroup.objects.filter(is_active=True)
        self.fields["kb_article"].queryset = Article.objects.filter(status=Article.Status.PUBLISHED)
        self.fields["assignee"].queryset = User.objects.filter(
            is_active=True, support_groups__is_active=True
        ).distinct()

    def clean(self):
        data = super().clean()
        requester = data.get("requester")
        query = (data.get("requester_query") or "").strip()
        if requester is None and query:
            # Without the live lookup (no JavaScript), an exact username, email or phone still finds the person.
            match = Q(username__iexact=query) | Q(email__iexact=query)
            if len(_digits(query)) >= 5:
                match |= Q(phone_digits=_digits(query))
            found = list(User.objects.annotate(phone_digits=phone_digits()).filter(match, is_active=True)[:2])
            if len(found) == 1:
                data["requester"] = found[0]
            elif len(found) > 1:
                self.add_error("requester_query", _("Several people match; pick one from the list."))
            else:
                self.add_error("requester_query", _("Nobody matches; pick someone from the list or clear the field."))
        if data.get("requester") is None and not query and not (data.get("contact_phone") or data.get("contact_email")):
            self.add_error(
                "contact_phone",
                _("For a caller who is not in the directory, record a phone number or an email address."),
            )
        if data.get("resolve_now") and data.get("dispatch_now"):
            self.add_error("dispatch_now", _("Either resolve it now or dispatch it, not both."))
        if data.get("duplicate_of") and (data.get("resolve_now") or data.get("dispatch_now")):
            self.add_error(None, _("A duplicate is linked to the original ticket: do not also resolve or dispatch it."))
        if not data.get("resolve_now"):
            data["kb_article"] = None
        if data.get("resolve_now") and not (data.get("resolution") or "").strip():
            self.add_error("resolution", _("Describe how the issue was resolved."))
        if not data.get("dispatch_now"):
            data["group"] = None
            data["assignee"] = None
        return data


# --- end-user portal ---------------------------------------------------------------------------------


class PortalReportForm(PageForm):
    type = forms.ChoiceField(
        label=_("What do you need?"),
        choices=[
            (T.Type.INCIDENT, _("Something is broken")),
            (T.Type.REQUEST, _("I need something (a service request)")),
            (T.Type.INQUIRY, _("I have a question")),
        ],
        initial=T.Type.INCIDENT,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("In a few words: what is wrong?")}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("What happened, since when, any error message, who else is affected")}
        ),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, empty_label=_("— I don't know —")
    )
    urgency = forms.TypedChoiceField(
        label=_("How urgent is it?"),
        coerce=int,
        choices=[
            (T.Level.LOW, _("General — I can keep working")),
            (T.Level.MEDIUM, _("Urgent — my work is blocked")),
            (T.Level.HIGH, _("Critical — many people or the business are blocked")),
        ],
        initial=T.Level.LOW,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = active_categories()


# --- ticket page -----------------------------------------------------------------------------------------


class VersionedForm(forms.Form):
    """Every action posts the version the page showed: a concurrent change is refused, not overwritten."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(VersionedForm):
    group = forms.ModelChoiceField(
        label=_("Support group"),
        queryset=SupportGroup.objects.none(),
        required=False,
        empty_label=_("— by category (default group) —"),
    )
    assignee = forms.CharField(label=_("Assignee"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = SupportGroup.objects.filter(is_active=True)

    def clean_assignee(self):
        value = (self.cleaned_data.get("assignee") or "").strip()
        if value in ("", "auto"):
            return value
        user = User.objects.filter(pk=int(value), is_active=True).first() if value.isdigit() else None
        if user is None:
            raise forms.ValidationError(_("Choose someone from the list."))
        return user


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(VersionedForm):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))
    first_contact = forms.BooleanField(label=_("Resolved on first contact"), required=False)


class DuplicateForm(VersionedForm):
    duplicate_of = forms.CharField(
        label=_("Duplicate of (ticket number)"), max_length=32, widget=forms.TextInput(attrs={"placeholder": "INC-…"})
    )


class CommentForm(PageForm):
    body = forms.CharField(label=_("Comment"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label=_("Internal note (staff only)"), required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    internal = forms.BooleanField(label=_("Staff only"), required=False)


# --- anonymous status lookup ---------------------------------------------------------------------------


class StatusLookupForm(PageForm):
    number = forms.CharField(
        label=_("Ticket number"), max_length=32, widget=forms.TextInput(attrs={"placeholder": "INC-2026-000123"})
    )
    contact = forms.CharField(
        label=_("Your email or phone"),
        max_length=254,
        help_text=_("The email address or phone number you gave when you reported it."),
    )
