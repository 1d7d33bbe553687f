"""Webhook use cases (admins only): register a receiver of ticket events, list, read, change and remove them.

A webhook's secret is sealed (iris/sealing.py) before it reaches the database and is never given back. Its URL is
checked against the SSRF guard (iris/outbound/addresses.py) when it is registered and whenever it changes: before
the transaction begins, and after the unit of work gave back the connection that checked the caller's token, so no
connection is held while a name resolves.
"""

from typing import Any, Optional, Sequence

from iris.errors import RuleBroken, found
from iris.models_notify import Webhook
from iris.outbound.addresses import TargetRefused, check_target
from iris.sealing import Sealer
from iris.services.unit_of_work import UnitOfWork


def checked_url(url: str, allow_hosts: Sequence[str]) -> str:
    """`url`, once the guard allows iris to call it; RuleBroken with the guard's reason otherwise."""
    try:
        check_target(url, allow_hosts)
    except TargetRefused as exc:
        raise RuleBroken({"url": str(exc)}) from None
    except ValueError:  # urlsplit's own refusals, such as an unclosed "[" ("Invalid IPv6 URL")
        raise RuleBroken({"url": "is not a valid URL"}) from None
    return url


def register_webhook(uow: UnitOfWork, fields: dict[str, Any], *, sealer: Sealer, allow_hosts: Sequence[str]) -> Webhook:
    """A new webhook from `url`, `secret`, `events` and `active`; created by the acting admin."""
    uow.actor.require("admin")
    uow.release()
    url = checked_url(fields["url"], allow_hosts)
    sealed = sealer.seal(fields["secret"])
    with uow:
        webhook = uow.webhooks.add(url=url, secret_sealed=sealed, events=list(fields["events"]),
                                   active=fields.get("active", True), created_by=uow.actor.username)  # fmt: skip
        uow.commit()
        return webhook


def list_webhooks(uow: UnitOfWork, *, after: Optional[int], limit: int) -> tuple[Sequence[Webhook], bool]:
    uow.actor.require("admin")
    with uow.read_only():
        rows = uow.webhooks.page(after=after, limit=limit + 1)
        return rows[:limit], len(rows) > limit


def get_webhook(uow: UnitOfWork, webhook_id: int) -> Webhook:
    uow.actor.require("admin")
    with uow.read_only():
        return existing_webhook(uow, webhook_id)


def change_webhook(
    uow: UnitOfWork, webhook_id: int, changes: dict[str, Any], *, sealer: Sealer, allow_hosts: Sequence[str]
) -> Webhook:
    """Any of `url` (checked again), `secret` (sealed again), `events` and `active`. Turning a webhook on clears
    why iris turned it off (`disabled_reason`) and since when it was failing: it starts afresh."""
    uow.actor.require("admin")
    changes = dict(changes)
    if "url" in changes:
        uow.release()
        changes["url"] = checked_url(changes["url"], allow_hosts)
        changes["failing_since"] = None  # a new receiver starts afresh
    if "secret" in changes:
        changes["secret_sealed"] = sealer.seal(changes.pop("secret"))
    if changes.get("active") is True:
        changes.update(disabled_reason=None, failing_since=None)
    with uow:
        webhook = existing_webhook(uow, webhook_id, for_update=True)
        uow.webhooks.change(webhook, changes)
        uow.commit()
        return webhook


def delete_webhook(uow: UnitOfWork, webhook_id: int) -> None:
    """The webhook and its deliveries, for good; deliveries waiting to be sent are dropped with it."""
    uow.actor.require("admin")
    with uow:
        uow.webhooks.remove(existing_webhook(uow, webhook_id, for_update=True))
        uow.commit()


def existing_webhook(uow: UnitOfWork, webhook_id: int, *, for_update: bool = False) -> Webhook:
    return found(uow.webhooks.get(webhook_id, for_update=for_update), "webhook", webhook_id)
