"""Knowledge pages: self-help search and browse (anyone, public articles), the article page with "did this solve
your problem?", the staff editor, review steps, version history with diffs, and the htmx suggestions panel used
at intake, on the portal's report form and on the ticket page. Thin: parse, read through a selector, write
through one service, render (POST-redirect-GET; domain errors shown as translated messages)."""

from __future__ import annotations

import difflib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.errors import DomainError, ValidationFailed
from tickets.forms import apply_domain_errors

from . import search, selectors, services
from .forms import ArticleForm, SearchForm, UploadForm
from .models import Article, ArticleAttachment
from .rendering import render_markdown

PAGE_SIZE = 20
CARRY_CHARS = 500  # of the user's text carried from a suggestion to the article and back to the report form


def _htmx(request: HttpRequest) -> bool:
    h = request.headers
    return h.get("HX-Request") == "true" and not h.get("HX-Boosted") and not h.get("HX-History-Restore-Request")


def _require_staff(request: HttpRequest) -> None:
    if not selectors.is_staff(request.user):
        raise PermissionDenied


def _visible(request: HttpRequest, pk: int) -> Article:
    article = selectors.article_get(request.user, pk)
    if article is None:
        raise Http404
    return article


def _session_key(request: HttpRequest) -> str:
    """Anonymous votes count once per browser session."""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


# --- self-help: search and browse ------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Search and browse published articles the visitor may read; htmx swaps only the results while typing."""
    form = SearchForm(request.GET)
    cd = form.cleaned_data if form.is_valid() else {}
    q = (cd.get("q") or "")[: search.MAX_QUERY_CHARS]
    category = cd.get("category")
    tag = cd.get("tag") or ""
    result = selectors.article_search(request.user, q, category=category, tag=tag)
    page = Paginator(result.ids, PAGE_SIZE).get_page(request.GET.get("page"))
    hits = selectors.load_hits(list(page.object_list), result.terms, user=request.user)
    kept = {k: v for k, v in {"q": q, "category": category or "", "tag": tag}.items() if v}
    context: dict[str, Any] = {
        "form": form,
        "q": q,
        "hits": hits,
        "page": page,
        "searched": bool(search.parse_query(q).units),
        "method": result.method,
        "category": category,
        "tag": tag,
        "querystring": urlencode(kept),
        "report_url": reverse("tickets:portal_new") + ("?" + urlencode({"title": q[:200]}) if q else ""),
        "is_staff": selectors.is_staff(request.user),
    }
    if _htmx(request):
        response = render(request, "knowledge/_results.html", context)
    else:
        context["categories"] = list(selectors.categories_in_use())
        context["tags"] = selectors.tags_in_use(request.user)
        response = render(request, "knowledge/home.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- the article page --------------------------------------------------------------------------------------------


def _carried(request: HttpRequest) -> dict[str, str]:
    """The report text a user carried from the portal form (or a search) to this article."""
    return {
        "title": (request.GET.get("title") or request.GET.get("q") or "")[:200],
        "description": (request.GET.get("description") or "")[:CARRY_CHARS],
    }


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = _visible(request, pk)
    staff = selectors.is_staff(request.user)
    if article.status == Article.Status.PUBLISHED:
        services.article_record_view(article=article)
    carried = _carried(request)
    context = {
        "article": article,
        "body_html": render_markdown(article.body),
        "is_staff": staff,
        "actions": services.available_actions(request.user, article),
        "can_edit": staff and article.status != Article.Status.ARCHIVED,
        "stale": selectors.is_stale(article),
        "linked_tickets": selectors.article_linked_tickets_count(article) if staff else None,
        "attachments": list(article.attachments.all()) if staff else [],
        "carried": carried,
        "carried_qs": urlencode({k: v for k, v in carried.items() if v}),
        "upload_form": UploadForm(),
    }
    return render(request, "knowledge/detail.html", context)


@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """'Was this article helpful?' yes / no."""
    article = _visible(request, pk)
    helpful = request.POST.get("helpful") == "yes"
    services.article_vote(article=article, helpful=helpful, user=request.user, session_key=_session_key(request))
    messages.success(request, _("Thank you for your feedback."))
    return redirect("knowledge:detail", pk=article.pk)


@require_POST
def solved(request: HttpRequest, pk: int) -> HttpResponse:
    """'Did this solve your problem?' — yes records a deflected report; no carries the text into the report form."""
    article = _visible(request, pk)
    title = (request.POST.get("title") or "")[:200]
    description = (request.POST.get("description") or "")[:CARRY_CHARS]
    if request.POST.get("answer") == "yes":
        services.deflection_record(
            article=article,
            user=request.user,
            session_key=_session_key(request),
            query=f"{title} {description}".strip(),
        )
        messages.success(request, _("Glad it helped. No report was needed."))
        return redirect("knowledge:detail", pk=article.pk)
    carried = {"title": title or article.title[:200], "description": description}
    return redirect(reverse("tickets:portal_new") + "?" + urlencode({k: v for k, v in carried.items() if v}))


# --- staff: write, review, history -------------------------------------------------------------------------------


def _ticket_from(request: HttpRequest, number: str):
    from tickets.selectors import ticket_get

    number = (number or "").strip().upper()
    return ticket_get(request.user, number) if number else None


def _initial_from_ticket(ticket) -> dict[str, Any]:
    parts = []
    if ticket.description:
        parts.append(f"## {_('Symptom')}\n\n{ticket.description.strip()}")
    if ticket.resolution:
        parts.append(f"## {_('Solution')}\n\n{ticket.resolution.strip()}")
    return {
        "title": ticket.title,
        "summary": (ticket.resolution or "").strip()[:500],
        "body": "\n\n".join(parts),
        "category": ticket.category_id,
        "audience": Article.Audience.INTERNAL,
        "from_ticket": ticket.number,
    }


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """A new draft; `?from_ticket=NUMBER` pre-fills it from a resolved ticket (symptom and solution)."""
    _require_staff(request)
    ticket = _ticket_from(request, request.POST.get("from_ticket") or request.GET.get("from_ticket") or "")
    initial = _initial_from_ticket(ticket) if ticket is not None and request.method == "GET" else {}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            article = services.article_create(
                actor=request.user,
                title=cd["title"],
                body=cd.get("body") or "",
                summary=cd.get("summary") or "",
                category=cd.get("category"),
                tags=cd.get("tags") or "",
                audience=cd["audience"],
                created_from_ticket=ticket,
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Draft saved. Submit it for review when it is ready."))
            return redirect("knowledge:detail", pk=article.pk)
    context = {"form": form, "ticket": ticket, "article": None}
    return render(request, "knowledge/edit.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    article = _visible(request, pk)
    initial = {
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "category": article.category_id,
        "tags": ", ".join(t.name for t in article.tags.all()),
        "audience": article.audience,
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.article_update(
                actor=request.user,
                article=article,
                title=cd["title"],
                body=cd.get("body") or "",
                summary=cd.get("summary") or "",
                category=cd.get("category"),
                tags=cd.get("tags") or "",
                audience=cd["audience"],
                note=cd.get("note") or "",
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("knowledge:detail", pk=article.pk)
        else:
            messages.success(request, _("Article saved."))
            return redirect("knowledge:detail", pk=article.pk)
    context = {"form": form, "article": article, "ticket": None}
    return render(request, "knowledge/edit.html", context, status=400 if form.errors else 200)


STEPS = {
    "submit": (services.article_submit, lambda: _("Submitted for review.")),
    "approve": (services.article_approve, lambda: _("Approved. It can be published now.")),
    "reject": (services.article_reject, lambda: _("Sent back to draft.")),
    "publish": (services.article_publish, lambda: _("Published.")),
    "archive": (services.article_archive, lambda: _("Archived.")),
    "review": (services.article_mark_reviewed, lambda: _("Confirmed as reviewed.")),
}


@login_required
@require_POST
def step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One review-workflow step from the article page."""
    if action not in STEPS:
        raise Http404
    article = _visible(request, pk)
    service, message = STEPS[action]
    kwargs = {"reason": (request.POST.get("reason") or "")[:500]} if action == "reject" else {}
    try:
        service(article=article, actor=request.user, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message())
    return redirect("knowledge:detail", pk=article.pk)


def _diff_rows(old: str, new: str) -> list[dict[str, str]]:
    """A line diff as rows the template renders (escaped there): kind is same / add / del."""
    rows = []
    for line in difflib.ndiff((old or "").splitlines(), (new or "").splitlines()):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue
        rows.append({"kind": {"+ ": "add", "- ": "del"}.get(code, "same"), "text": text})
    return rows


@login_required
@require_GET
def history(request: HttpRequest, pk: int) -> HttpResponse:
    """Versions of an article and the difference between two of them (default: the latest against the one before)."""
    _require_staff(request)
    article = _visible(request, pk)
    versions = list(selectors.article_versions(article))
    by_number = {v.number: v for v in versions}
    chosen = _int(request.GET.get("v")) or (versions[0].number if versions else None)
    against = _int(request.GET.get("against")) or ((chosen - 1) if chosen else None)
    new_v, old_v = by_number.get(chosen), by_number.get(against)
    diff = None
    if new_v is not None:
        diff = {
            "new": new_v,
            "old": old_v,
            "title": _diff_rows(old_v.title if old_v else "", new_v.title),
            "summary": _diff_rows(old_v.summary if old_v else "", new_v.summary),
            "body": _diff_rows(old_v.body if old_v else "", new_v.body),
        }
    context = {"article": article, "versions": versions, "diff": diff, "can_edit": article.status != "archived"}
    return render(request, "knowledge/history.html", context)


def _int(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@login_required
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    article = _visible(request, pk)
    number = _int(request.POST.get("version"))
    try:
        services.article_restore(article=article, actor=request.user, number=number or 0)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("knowledge:history", pk=article.pk)
    messages.success(request, _("Version %(n)d restored.") % {"n": number})
    return redirect("knowledge:detail", pk=article.pk)


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    article = _visible(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect("knowledge:detail", pk=article.pk)
    try:
        attachment = services.article_attachment_add(
            article=article, actor=request.user, upload=form.cleaned_data["file"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("knowledge:detail", pk=article.pk)
    messages.success(
        request,
        _("%(name)s uploaded. Use it in the body as %(markdown)s")
        % {
            "name": attachment.name,
            "markdown": f"![{attachment.name}]({reverse('knowledge:attachment', args=[attachment.pk])})",
        },
    )
    return redirect("knowledge:detail", pk=article.pk)


@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """An article's image or file, if the visitor may read the article. Images display inline; anything else
    downloads; never sniffed by the browser."""
    item = ArticleAttachment.objects.filter(pk=pk).only("article_id").first()
    if item is None or selectors.article_get(request.user, item.article_id) is None:
        raise Http404
    item = ArticleAttachment.objects.get(pk=pk)
    response = FileResponse(
        item.file.open("rb"), as_attachment=not item.is_image, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    """Staff: every article with its workflow status, metrics and stale flag."""
    _require_staff(request)
    status = request.GET.get("status", "")
    stale = request.GET.get("stale") == "1"
    q = (request.GET.get("q") or "")[: search.MAX_QUERY_CHARS]
    qs = selectors.article_manage_list(request.user, status=status, q=q, stale=stale)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    kept = {k: v for k, v in {"status": status, "q": q, "stale": "1" if stale else ""}.items() if v}
    context = {
        "page": page,
        "status": status,
        "stale": stale,
        "q": q,
        "statuses": Article.Status.choices,
        "querystring": urlencode(kept),
    }
    return render(request, "knowledge/manage.html", context)


# --- suggestions while a report is typed --------------------------------------------------------------------------


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """htmx: the best articles and the most similar open tickets for the text typed so far.

    `mode` is where the panel sits: `intake` (desk form: buttons fill the form), `ticket` (the ticket page: buttons
    act on that ticket), `portal` (an end user's report form: articles to read, and their own similar reports)."""
    user = request.user
    mode = request.GET.get("mode", "portal")
    ticket = None
    if mode == "ticket":
        if not selectors.is_staff(user):
            raise PermissionDenied
        from tickets.selectors import ticket_get

        ticket = ticket_get(user, (request.GET.get("ticket") or "").strip().upper())
        if ticket is None:
            raise Http404
        title, description, category_id = ticket.title, ticket.description, ticket.category_id
    else:
        if mode == "intake" and not (user.is_authenticated and user.is_desk):
            raise PermissionDenied
        title = (request.GET.get("title") or "")[:200]
        description = (request.GET.get("description") or "")[: search.MAX_QUERY_CHARS]
        category_id = _int(request.GET.get("category"))
    suggestions = selectors.intake_suggestions(
        user,
        title=title,
        description=description,
        category_id=category_id,
        exclude_ticket=ticket.pk if ticket else None,
        # An end user only ever sees their own tickets (the selector's visibility rule applies in every mode).
        tickets=5 if user.is_authenticated else 0,
    )
    from tickets import rules

    carried = urlencode({k: v for k, v in {"title": title, "description": description[:CARRY_CHARS]}.items() if v})
    context = {
        "mode": mode,
        "s": suggestions,
        "ticket": ticket,
        "carried_qs": carried,
        "can_resolve": ticket is not None and rules.can(user, "resolve", ticket),
        "can_duplicate": ticket is not None and rules.can(user, "mark_duplicate", ticket),
    }
    for hit in suggestions.articles:
        hit.answer = services.article_answer(hit.article)
    response = render(request, "knowledge/_suggestions.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def resolve_with(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """One click on the ticket page: resolve the ticket with this article's answer (first-contact when the desk
    solves it before dispatching)."""
    from tickets.selectors import ticket_get

    ticket = ticket_get(request.user, number)
    if ticket is None:
        raise Http404
    article = _visible(request, pk)
    try:
        services.ticket_resolve_with_article(
            ticket=ticket,
            actor=request.user,
            article=article,
            expected_version=_int(request.POST.get("expected_version")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(number)s resolved with “%(title)s”.") % {"number": ticket.number, "title": article.title}
        )
    return redirect("tickets:detail", number=ticket.number)
