"""The Atom feed of public notices: current notices meant for everyone. Audience-restricted notices never
appear here (a feed reader is nobody in particular)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from .models import Notice
from .selectors import notices_public

FEED_SIZE = 50


class PublicNoticesFeed(Feed):
    feed_type = Atom1Feed
    title = _("IT service desk notices")
    subtitle = _("Planned maintenance, outages and service changes announced by the IT service desk.")
    link = reverse_lazy("notices:list")

    def items(self):
        return notices_public().select_related("owner_group")[:FEED_SIZE]

    def item_title(self, item: Notice) -> str:
        return f"[{item.get_type_display()}] {item.title}"

    def item_description(self, item: Notice) -> str:
        return item.body_html  # sanitised when written (notices.markdown)

    def item_link(self, item: Notice) -> str:
        return reverse("notices:detail", args=[item.pk])

    def item_pubdate(self, item: Notice):
        return item.published_at

    def item_updateddate(self, item: Notice):
        return item.updated_at

    def item_author_name(self, item: Notice) -> str:
        return item.owner_group.name

    def item_categories(self, item: Notice):
        return [item.get_type_display()]
