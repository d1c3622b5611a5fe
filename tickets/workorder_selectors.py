"""Reads of work orders, scoped by who asks. An order is visible to whoever may see its ticket, and to its own
technician; lists join what their pages render so their query count does not grow with the rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from servicedesk.models import User

from .models import WorkOrder
from .selectors import tickets_visible_to

W = WorkOrder.State
OPEN_STATES = [s for s in W.values if s not in WorkOrder.FINAL_STATES]
LIST_RELATED = ("ticket", "technician")


def workorders_visible_to(user: User) -> QuerySet[WorkOrder]:
    if not user.is_authenticated:
        return WorkOrder.objects.none()
    return WorkOrder.objects.filter(Q(ticket__in=tickets_visible_to(user).values("pk")) | Q(technician=user))


def workorder_get(user: User, pk: int) -> WorkOrder:
    """One visible order (WorkOrder.DoesNotExist → 404 otherwise)."""
    return workorders_visible_to(user).select_related("ticket__requester", "technician").get(pk=pk)


def workorder_list(user: User) -> QuerySet[WorkOrder]:
    return workorders_visible_to(user).select_related(*LIST_RELATED).order_by("-created_at", "-id")


def _today_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    start = timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)
    return start, start + timedelta(days=1)


def workorders_today(user: User, *, now: datetime | None = None) -> list[WorkOrder]:
    """The technician's open orders for today: appointments today, unscheduled ones, and anything overdue —
    by appointment (unscheduled ones by their arrival target), then the ticket's priority."""
    now = now or timezone.now()
    _start, end = _today_bounds(now)
    qs = (
        WorkOrder.objects.filter(technician=user, state__in=OPEN_STATES)
        .filter(Q(appointment_at__isnull=True) | Q(appointment_at__lt=end))
        .select_related(*LIST_RELATED)
        .annotate(
            sort_at=Case(
                When(appointment_at__isnull=False, then=F("appointment_at")),
                default=F("arrival_due_at"),
            ),
            urgency_rank=Case(
                When(arrival_breached_at__isnull=False, arrived_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("urgency_rank", F("sort_at").asc(nulls_last=True), "ticket__priority", "created_at", "id")
    )
    return list(qs[:100])


def remaining_minutes(order: WorkOrder, *, now: datetime | None = None) -> int | None:
    """Minutes left to the arrival target (negative once late), or None when it does not apply."""
    if order.arrival_due_at is None or order.arrived_at is not None or order.is_final:
        return None
    now = now or timezone.now()
    return int((order.arrival_due_at - now).total_seconds() // 60)


@dataclass
class TechnicianLoad:
    technician: User
    open_orders: int


@dataclass
class ManagerBoard:
    per_technician: list[dict]
    late_arrivals: list[WorkOrder]
    taken_back: list[WorkOrder]
    overdue_returns: list[WorkOrder]


def manager_board(*, now: datetime | None = None, limit: int = 100) -> ManagerBoard:
    """Open orders per technician, late arrivals (breached, or arrived after the target), devices taken back,
    and those past their promised return. A fixed number of queries whatever the number of orders."""
    now = now or timezone.now()
    per_technician = list(
        WorkOrder.objects.filter(state__in=OPEN_STATES)
        .values("technician_id", "technician__username", "technician__display_name")
        .annotate(open_orders=Count("id"))
        .order_by("-open_orders", "technician__username")[:limit]
    )
    base = WorkOrder.objects.select_related(*LIST_RELATED)
    late = list(
        base.filter(
            Q(arrival_breached_at__isnull=False, arrived_at__isnull=True, state__in=OPEN_STATES)
            | Q(arrived_at__gt=F("arrival_due_at"), arrived_at__gte=now - timedelta(days=7))
        ).order_by("arrival_due_at", "id")[:limit]
    )
    taken = list(base.filter(state=W.TAKEN_BACK).order_by("promised_return_at", "id")[:limit])
    overdue = [o for o in taken if o.promised_return_at and o.promised_return_at < now]
    return ManagerBoard(per_technician=per_technician, late_arrivals=late, taken_back=taken, overdue_returns=overdue)
