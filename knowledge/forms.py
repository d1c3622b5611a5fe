"""Forms of the knowledge pages: they parse and validate; knowledge.services does every write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.forms import PageForm, active_categories

from .models import Article


class ArticleForm(PageForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Short answer"),
        required=False,
        max_length=500,
        help_text=_("One or two sentences an agent can read out or paste into a reply."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    body = forms.CharField(
        label=_("Body"),
        required=False,
        max_length=100_000,
        strip=False,
        help_text=_(
            "Markdown: # headings, **bold**, lists, `code`, [links](https://…), images as ![text](/kb/attachments/ID/)."
        ),
        widget=forms.Textarea(attrs={"rows": 16, "class": "mono"}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Article.objects.none(), required=False, empty_label=_("— none —")
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=600,
        help_text=_("Separated by commas, e.g. VPN, 远程办公"),
    )
    audience = forms.ChoiceField(label=_("Audience"), choices=Article.Audience.choices, initial="public")
    note = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=200,
        help_text=_("Shown in the version history of a published article."),
    )
    from_ticket = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = active_categories()


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=10_000,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Describe the problem, e.g. 打印机卡纸 or VPN cannot connect")}
        ),
    )
    category = forms.IntegerField(required=False, widget=forms.HiddenInput)
    tag = forms.CharField(required=False, max_length=50, widget=forms.HiddenInput)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Image or file"))
