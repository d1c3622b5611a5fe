import math

from django.db import NotSupportedError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


class Pagination(PageNumberPagination):
    """Page-number pagination that never counts more than COUNT_LIMIT rows.

    COUNT(*) reads every matching row: over a million tickets it costs more than the page itself. Up to
    `count_limit` rows the response carries the exact "count"; past it "count" is left out (API.md: it is
    optional) and "next" comes from fetching one row more than the page, so paging on works to the end."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    count_limit = 1_000
    display_page_controls = False  # the browsable API's page links need a page count

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        self.count = self._capped_count(queryset)
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings and self.count is not None:
            number = max(1, math.ceil(self.count / page_size))
        else:
            try:
                number = int(raw)
            except ValueError:
                number = 0
            if number < 1:
                raise NotFound(self.invalid_page_message)
        offset = (number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        if number > 1 and not rows:
            raise NotFound(_("That page contains no results."))
        self.number = number
        self.has_next = len(rows) > page_size
        return rows[:page_size]

    def _capped_count(self, queryset) -> int | None:
        """SELECT COUNT(*) FROM (SELECT id … LIMIT count_limit + 1), run on every page so that a list costs the
        same number of queries whatever its length; None past the limit. A list in memory counts exactly."""
        if not isinstance(queryset, QuerySet):
            return len(queryset)
        try:
            counted = queryset.order_by().values("pk")[: self.count_limit + 1].count()
        except (NotSupportedError, TypeError):  # e.g. a union: count it the plain way
            return queryset.count()
        return counted if counted <= self.count_limit else None

    def get_paginated_response(self, data):
        body = {} if self.count is None else {"count": self.count}
        body.update(next=self.get_next_link(), previous=self.get_previous_link(), results=data)
        return Response(body)

    def get_next_link(self):
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results"]
        response["properties"]["count"]["description"] = (
            f"Exact number of results; left out when there are more than {self.count_limit:,}."
        )
        return response
