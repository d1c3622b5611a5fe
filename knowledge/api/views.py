"""Knowledge API (API.md, "Knowledge"): search, create, the review steps, plus edit, versions and restore for staff.
Thin: parse with a serializer, read through knowledge.selectors, write through knowledge.services."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.errors import ValidationFailed

from .. import search, selectors, services
from ..models import Article
from ..selectors import Hit
from .serializers import (
    ArticleHitSerializer,
    ArticleSerializer,
    ArticleUpdateSerializer,
    ArticleWriteSerializer,
    RejectSerializer,
    RestoreSerializer,
    VersionSerializer,
)

LIST_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Search words, Chinese or English (best first)."),
    OpenApiParameter("category", OpenApiTypes.INT, description="Category id (includes its sub-categories)."),
    OpenApiParameter("tag", OpenApiTypes.STR),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        description="Staff only: list articles in this workflow status instead of searching published ones.",
    ),
]


def _ticket_by_number(user, number: str):
    from tickets.selectors import ticket_get

    number = (number or "").strip().upper()
    if not number:
        return None
    ticket = ticket_get(user, number)
    if ticket is None:
        raise ValidationFailed({"created_from_ticket": [_("No such ticket.")]})
    return ticket


class ArticleViewSet(viewsets.GenericViewSet):
    serializer_class = ArticleSerializer
    queryset = Article.objects.none()  # for the schema; every read goes through the selectors

    def get_object(self) -> Article:
        article = selectors.article_get(self.request.user, self.kwargs.get("pk"))
        if article is None:
            raise Http404
        return article

    def _respond(self, article: Article, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.article_get(self.request.user, article.pk) or article
        return Response(ArticleSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(parameters=LIST_PARAMETERS, responses=ArticleHitSerializer(many=True))
    def list(self, request):
        user = request.user
        params = request.query_params
        q = params.get("q", "")
        category = params.get("category", "")
        category = int(category) if category.isdigit() else None
        tag = params.get("tag", "")
        wanted_status = params.get("status", "")
        if wanted_status and selectors.is_staff(user):
            qs = selectors.article_manage_list(user, status=wanted_status, q=q)
            page = self.paginate_queryset(qs)
            hits = [Hit(article=a, snippet=search.snippet(a.summary or a.body, [])) for a in page]
            return self.get_paginated_response(ArticleHitSerializer(hits, many=True).data)
        result = selectors.article_search(user, q, category=category, tag=tag)
        page_ids = self.paginate_queryset(result.ids)
        hits = selectors.load_hits(page_ids, result.terms, user=user)
        return self.get_paginated_response(ArticleHitSerializer(hits, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(ArticleSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(request=ArticleWriteSerializer, responses={201: ArticleSerializer})
    def create(self, request):
        s = ArticleWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        services._require_staff(request.user)  # 403 before anything else is looked at
        data["created_from_ticket"] = _ticket_by_number(request.user, data.pop("created_from_ticket", ""))
        article = services.article_create(actor=request.user, **data)
        return self._respond(article, status.HTTP_201_CREATED)

    @extend_schema(request=ArticleUpdateSerializer, responses=ArticleSerializer)
    def partial_update(self, request, pk=None):
        article = self.get_object()
        s = ArticleUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        data.pop("created_from_ticket", None)
        if "category" not in data:
            data["category"] = services.UNSET
        article = services.article_update(actor=request.user, article=article, **data)
        return self._respond(article)

    def _step(self, service, **kwargs) -> Response:
        article = service(article=self.get_object(), actor=self.request.user, **kwargs)
        return self._respond(article)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._step(services.article_submit)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._step(services.article_approve)

    @extend_schema(request=RejectSerializer, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        s = RejectSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._step(services.article_reject, reason=s.validated_data.get("reason", ""))

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._step(services.article_publish)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._step(services.article_archive)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Confirm a published article is still right (clears the stale flag)."""
        return self._step(services.article_mark_reviewed)

    @extend_schema(request=None, responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        article = self.get_object()
        if not selectors.is_staff(request.user):
            raise Http404  # the history (and older wording) is for staff
        return Response(VersionSerializer(selectors.article_versions(article), many=True).data)

    @extend_schema(request=RestoreSerializer, responses=ArticleSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        s = RestoreSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._step(services.article_restore, number=s.validated_data["version"])
