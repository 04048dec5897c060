"""The one way a ticket changes: UI, API, email and rules all come through here.

`create_ticket` and `update_ticket` validate the whole change first (nothing is
touched when any part is wrong), then in one transaction apply it, append one
audit with its events, and run the triggers, whose actions and notifications land
in the same audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from buzon.rules.engine import run_triggers
from buzon.tickets.changes import (
    TAG_FIELDS,
    TicketChangeError,
    Update,
    apply_fields,
    clean_fields,
    record_event,
)
from buzon.tickets.html import html_to_text, sanitize_html, text_to_html
from buzon.tickets.models import (
    Audit,
    Comment,
    EventType,
    Role,
    Status,
    Ticket,
    User,
    Via,
    insert_row,
    update_columns,
)
from buzon.tickets.signals import text_changed


@dataclass
class EventInput:
    """An extra event for the audit of an update (e.g. a delivery failure)."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class CommentInput:
    """A comment to add. Give `body` (plain text) or `html_body`, or both."""

    body: str = ""
    html_body: str = ""
    public: bool = True
    attachments: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def create_ticket(
    *,
    actor: User,
    via: str,
    fields: dict[str, Any],
    comment: CommentInput,
    metadata: dict[str, Any] | None = None,
) -> Ticket:
    """Open a ticket whose first comment is its description."""
    cleaned = clean_fields(fields)
    if "subject" not in cleaned:
        raise TicketChangeError("a new ticket needs a subject", "subject")
    body, html_body = _comment_bodies(comment)
    requester_id = cleaned.pop("requester_id", actor.pk)
    with transaction.atomic():
        now = timezone.now()
        ticket = Ticket.objects.create(
            subject=cleaned.pop("subject"),
            description=body,
            requester_id=requester_id,
            submitter=actor,
            via=_valid_via(via),
            status=Status.NEW,
            created_at=now,
            updated_at=now,
        )
        audit = Audit.objects.create(
            ticket=ticket, author=actor, via=via, metadata=metadata or {}, created_at=now
        )
        update = Update(ticket=ticket, audit=audit, actor=actor, via=via, is_create=True)
        initial = {
            "subject": ticket.subject,
            "status": cleaned.pop("status", Status.NEW),
            "requester_id": requester_id,
        }
        apply_fields(update, {**initial, **cleaned})
        if ticket.requester.organization_id and "organization_id" not in cleaned:
            ticket.organization_id = ticket.requester.organization_id
        update.comment = _add_comment(update, comment, body, html_body)
        ticket.save()
        run_triggers(update)
        ticket.save()
        _text_changed(update)
    return ticket


def update_ticket(
    ticket: Ticket,
    *,
    actor: User,
    via: str,
    fields: dict[str, Any] | None = None,
    comment: CommentInput | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[EventInput] | None = None,
    run_rules: bool = True,
    ticket_locked: bool = False,
    trigger_version: str | None = None,
    changes_out: dict[str, tuple[Any, Any]] | None = None,
    savepoint: bool = True,
) -> Audit | None:
    """Apply a change to a ticket; None when it changes nothing (no audit is written).

    `events` are extra facts to record in the same audit (they count as a change).
    `run_rules=False` skips the trigger cycle: for an automatic reply added as an
    internal note, which must never change the ticket or email anyone. The audit's
    metadata says `rules_skipped`.

    `ticket_locked`: the caller already holds `ticket` locked (`select_for_update`) in
    the current transaction, fresh; it is not read again. `trigger_version`: the
    triggers' version the caller read (`buzon.rules.active.version_sql`).
    `changes_out`: filled with the fields the update changed, the triggers' changes
    included, as `(previous, current)`. `savepoint=False`: the caller's own savepoint
    (or transaction) is rolled back whole if this raises, so this update needs none of
    its own; only with `events`, which make the update a change whatever the fields.
    """
    cleaned = clean_fields(fields or {})
    bodies = _comment_bodies(comment) if comment else None
    if not events:
        savepoint = True  # an update that changes nothing rolls its savepoint back
    with transaction.atomic(savepoint=savepoint):
        if not ticket_locked:
            ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        saved = _columns(ticket)
        now = timezone.now()
        if not run_rules:
            metadata = {**(metadata or {}), "rules_skipped": True}
        audit = Audit(
            ticket=ticket, author=actor, via=_valid_via(via), metadata=metadata or {},
            created_at=now,
        )  # fmt: skip
        insert_row(audit)
        update = Update(ticket=ticket, audit=audit, actor=actor, via=via, is_create=False)
        apply_fields(update, cleaned)
        if comment and bodies:
            update.comment = _add_comment(update, comment, *bodies)
        for extra in events or []:
            record_event(audit, extra.type, data=extra.data)
        if not update.changes and update.comment is None and not events:
            # Nothing happened: the empty audit must not stay (it is append-only,
            # so roll the whole transaction back instead of deleting it).
            transaction.set_rollback(True)
            return None
        ticket.updated_at = now
        if update.comment is not None or set(update.changes) - TAG_FIELDS - {"tags"}:
            saved = _save_changed(ticket, saved)  # what the triggers' notifications read
        if run_rules:
            run_triggers(update, version=trigger_version)
        _save_changed(ticket, saved)
        _text_changed(update)
    if changes_out is not None:
        changes_out.update(update.changes)
    return audit


SYSTEM_EMAIL = "system@buzon.invalid"


_system_users: dict[int, User] = {}


def system_user(known_pk: int | None = None) -> User:
    """The author of changes Buzón makes by itself (delivery failures, expiries).

    An inactive agent-role user with no password: it can never sign in, it is never
    emailed (inactive users are skipped), and triggers see it as an agent.

    `known_pk`: its id as the caller just read it (`system_user_pk_sql`); the user
    read before under that id is reused, with no query.
    """
    if known_pk is not None and known_pk in _system_users:
        return _system_users[known_pk]
    user = User.objects.filter(email=SYSTEM_EMAIL).first()
    if user is None:
        try:
            # Two processes may get here at once: the loser's savepoint rolls back and
            # it reads the winner's row.
            with transaction.atomic():
                user = User.objects.create_user(
                    SYSTEM_EMAIL, "Buzón", role=Role.AGENT, is_active=False
                )
        except IntegrityError:
            user = User.objects.get(email=SYSTEM_EMAIL)
    _system_users.clear()
    _system_users[user.pk] = user
    return user


def system_user_pk_sql() -> Subquery:
    """The system user's id as an expression, to annotate onto another query."""
    return Subquery(User.objects.filter(email=SYSTEM_EMAIL).values("pk")[:1])


def _columns(ticket: Ticket) -> dict[str, Any]:
    """The ticket's column values (all immutable: strings, numbers, dates, ids)."""
    return {f.attname: getattr(ticket, f.attname) for f in Ticket._meta.concrete_fields}


def _save_changed(ticket: Ticket, saved: dict[str, Any]) -> dict[str, Any]:
    """Write the columns that differ from `saved` (the row as it was read or last
    written, locked by this transaction) and nothing else; the row as it is now."""
    now = _columns(ticket)
    changed = [name for name, value in now.items() if saved[name] != value]
    if changed:
        update_columns(ticket, changed)
    return now


def _text_changed(update: Update) -> None:
    """Tell the search index about a new comment or subject (it sits above tickets)."""
    subject_changed = "subject" in update.changes
    if update.comment is not None or subject_changed:
        text_changed.send(
            sender=Ticket,
            ticket=update.ticket,
            comment=update.comment,
            created=update.is_create,
            subject_changed=subject_changed,
        )


def _valid_via(via: str) -> str:
    if via not in Via.values:
        raise TicketChangeError(f"unknown channel {via!r}; one of {', '.join(Via.values)}", "via")
    return via


def _comment_bodies(comment: CommentInput) -> tuple[str, str]:
    if comment.html_body:
        html_body: str = sanitize_html(comment.html_body)
        body = comment.body or html_to_text(html_body)
    else:
        body = comment.body
        html_body = text_to_html(body)
    if not body.strip():
        raise TicketChangeError("a comment needs a body", "comment")
    return body, html_body


def _add_comment(update: Update, comment: CommentInput, body: str, html_body: str) -> Comment:
    created = Comment.objects.create(
        ticket=update.ticket,
        author=update.actor,
        body=body,
        html_body=html_body,
        public=comment.public,
        via=update.via,
        attachments=comment.attachments,
        metadata=comment.metadata,
        created_at=update.audit.created_at,
    )
    record_event(update.audit, EventType.COMMENT, comment=created)
    return created
