"""`python manage.py kb_reindex [--days N]`: rebuild the search documents of every article and of the tickets
created in the last N days (default 30; 0 for all) — after an import, a restore, or rows written outside the
services (tickets inserted in bulk never pass through the model's save)."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from knowledge import services
from knowledge.models import Article


class Command(BaseCommand):
    help = "Rebuild the knowledge search documents of articles and recent tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="tickets created in the last N days (0: all)")

    def handle(self, *args, days: int, **options) -> None:
        n = 0
        for article in (
            Article.objects.select_related("category__parent").prefetch_related("tags").iterator(chunk_size=500)
        ):
            services.article_reindex(article)
            n += 1
        since = timezone.now() - timedelta(days=days) if days > 0 else None
        t = services.tickets_reindex(since=since)
        self.stdout.write(f"Re-indexed {n} articles and {t} tickets")
