"""The one interface every ad-platform adapter implements.

The console and the weekly job call ``plan`` to show the dry run (exactly what would be
sent, nothing leaves the process) and ``push`` to deliver it. Adapters:

- ``CsvBulkAdapter`` (``csv_bulk.py``): bulk files for every platform's own bulk tool.
- ``MetaMarketingApi`` (``meta.py``): Meta's Marketing API, read-before-write.

A fake for tests is any class with these two methods; nothing needs subclassing.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from campaigns.delivery.domain import BudgetPlan, ChangeOutcome, PushChange, PushResult


@runtime_checkable
class AdPlatformAdapter(Protocol):
    name: str
    """Short, stable name stored with each result ("csv", "meta")."""

    def plan(self, plan: BudgetPlan) -> list[PushChange]:
        """The dry run: every change this adapter would make for the plan, blocked ones
        included with their reason. Pure; sends nothing."""
        ...

    def push(self, plan: BudgetPlan, *, idempotency_key: str) -> PushResult:
        """Deliver the plan. Safe to call again with the same key after a partial failure:
        what is already in place is left alone."""
        ...


def dry_run(adapter: AdPlatformAdapter, plan: BudgetPlan, *, idempotency_key: str) -> PushResult:
    """A ``PushResult`` of status ``dry_run`` for the console to store and show."""
    outcomes = [
        ChangeOutcome(change, "blocked", change.blocked or "")
        if not change.sendable
        else ChangeOutcome(change, "dry_run")
        for change in adapter.plan(plan)
    ]
    result = PushResult.of(adapter.name, idempotency_key, outcomes)
    if any(o.outcome == "dry_run" for o in outcomes):
        return PushResult(adapter.name, idempotency_key, "dry_run", result.outcomes)
    return result
