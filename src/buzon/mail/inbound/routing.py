"""Routing one stored message: a bounce, an automatic reply, or a person's mail.

`prepare(row)` reads the message — MIME parsing, the bounce parser, the visible text
and the sanitised HTML of a reply — before the worker's transaction, so no parsing or
sanitising happens while the database's write lock is held; it raises
`parsing.Unreadable` for hostile input (the row then goes to the error state, raw bytes
kept). `route(row, prepared)` then runs inside the worker's transaction for that row
(see `processor`), so whatever it changes (a comment, a recorded failure, a new ticket,
the row's outcome) commits together, once.

Order of the questions (docs/inbound.md, "Routing"):

1. Our own notification come back (From a support address, with X-Buzon-Ticket-Id)?
   Ignored.
2. A report about mail we sent — a DSN, a vendor non-delivery report, an ARF
   complaint (`buzon_bounces.parse` finds records other than "vacation"), sent by a
   mail system rather than forwarded by a person (`_from_a_reporter`)? Matched to
   deliveries (`bounce_matching`); an authentic one (signed return path, envelope
   id or copy id, trusted reporter) is recorded through `deliveries.recording`, one
   that names a delivery only by Message-ID, an unsigned envelope id or a copy id
   signed for someone else is kept on it as an unverified report that changes
   nothing; what matches nothing, or carries a forged token, is kept as unmatched.
3. A return path, a mailer daemon or the null sender, but no readable report? Kept
   as unmatched (never a ticket: FreeScout's bounce loop).
4. The loop guard: too many messages from this sender lately? Held.
5. An automatic reply (`loops.automatic_reason`)? An internal note on its ticket,
   marked `auto_reply`, with the trigger cycle skipped; nothing when no ticket matches.
6. A person's mail: matched to a ticket (`ticket_matching`); a public comment by the
   sender when they are the requester, a CC or an agent, else an internal note for
   review; no match opens a new ticket (via email); a reply to a closed ticket opens
   a follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction

from buzon.deliveries import reports as delivery_reports
from buzon.deliveries.models import Delivery
from buzon.mail.inbound import authres, bounce_matching, loops, parsing, replies, ticket_matching
from buzon.mail.inbound.models import InboundKind, InboundMessage, InboundState
from buzon.mail.models import Direction, MessageReference
from buzon.mail.verp import COPY_HEADER
from buzon.tickets.models import Comment, EventType, Role, Status, Ticket, User, UserIdentity, Via
from buzon.tickets.services import CommentInput, create_ticket, update_ticket
from buzon_bounces import BounceRecord, Mail, original_header
from buzon_bounces import parse as parse_bounce
from buzon_bounces import read as read_bounce


@dataclass
class Outcome:
    state: str
    kind: str
    outcome: str
    detail: str = ""
    ticket: Ticket | None = None
    comment: Comment | None = None
    ticket_id: int | None = None  # instead of `ticket`, when only its id is at hand
    delivery_ids: list[int] = field(default_factory=list)


@dataclass
class Prepared:
    """What routing reads from a stored message, computed outside any transaction."""

    parsed: parsing.Parsed
    records: list[BounceRecord]
    automatic: str
    returned_copy: str = ""  # the X-Buzon-Copy of the message a report returns
    # The deliveries named by the batch's signed return paths, by return path
    # (`bounce_matching.deliveries_for_return_paths`): read once for a whole batch.
    known: dict[str, Delivery] = field(default_factory=dict)
    _visible: tuple[str, str] | None = None

    @property
    def is_report(self) -> bool:
        """Does it carry a report about mail (not only an automatic reply)?"""
        return any(r.reason != "vacation" for r in self.records)

    @property
    def bodies(self) -> tuple[str, str]:
        """(visible text, sanitised HTML) of a person's message. `prepare` works them
        out for anything that is not a report; a report only needs them when routing
        finds a person forwarded it."""
        if self._visible is None:
            self._visible = _bodies(self.parsed)
        return self._visible


def prepare(row: InboundMessage) -> Prepared:
    raw = bytes(row.raw)
    parsed = parsing.parse(raw)
    mail: Mail | bytes = raw
    try:
        mail = read_bounce(raw)  # read once for the three questions below
        records = parse_bounce(mail)
    except Exception:  # the library promises not to raise; a bug must not cost the mail
        records = []
    returned_copy = original_header(mail, COPY_HEADER)[:200] if records else ""
    prepared = Prepared(parsed, records, loops.automatic_reason(parsed, mail), returned_copy)
    if not prepared.is_report:
        prepared.bodies  # noqa: B018 — sanitise now, outside the transaction
    return prepared


def prepare_batch(rows: list[InboundMessage], prepared: list[Prepared]) -> None:
    """Read the deliveries the batch's signed return paths name, in one query."""
    paths = [r for row in rows for r in row.rcpt_tos if bounce_matching.looks_like_return_path(r)]
    known = bounce_matching.deliveries_for_return_paths(paths)
    for ready in prepared:
        ready.known = known


def route(row: InboundMessage, prepared: Prepared | None = None) -> Outcome:
    prepared = prepared or prepare(row)
    parsed = prepared.parsed
    row.sender = (parsed.from_address or row.mail_from.strip("<>")).lower()[:320]
    row.subject = parsed.subject[:255]
    support = {a.lower() for a in settings.SUPPORT_ADDRESSES}

    if parsed.from_address.lower() in support and parsed.header("X-Buzon-Ticket-Id"):
        return Outcome(
            InboundState.PROCESSED,
            InboundKind.OWN,
            "ignored_own_message",
            "One of our own notifications came back to the support address; ignored so "
            "that it cannot loop.",
        )

    reports = [r for r in prepared.records if r.reason != "vacation"]
    return_paths = [r for r in row.rcpt_tos if bounce_matching.looks_like_return_path(r)]
    automatic = prepared.automatic
    if reports and not _from_a_reporter(parsed, row, reports, return_paths):
        # A person forwarding a bounce they got ("what does this mean?"): their
        # question is a reply, not a report to record.
        reports = []

    if reports:
        return _bounce(row, parsed, reports, return_paths, prepared)
    if loops.is_daemon(parsed, row.mail_from) and not automatic:
        return Outcome(
            InboundState.UNMATCHED,
            InboundKind.BOUNCE,
            "unreadable_report",
            "From a mailer daemon (or the null sender), but no delivery report could be "
            "read in it. Nothing was changed; kept for review.",
        )
    if return_paths and not automatic:
        return Outcome(
            InboundState.UNMATCHED,
            InboundKind.BOUNCE,
            "not_a_report",
            "Sent to a return path, but it is neither a delivery report nor an automatic "
            "reply. Nothing was changed; kept for review.",
        )

    earlier = loops.over_limit(row, row.sender)
    if earlier:
        return Outcome(
            InboundState.HELD,
            InboundKind.AUTO_REPLY if automatic else InboundKind.REPLY,
            "held_loop_guard",
            f"{earlier} messages from {row.sender} within "
            f"{settings.INBOUND_LOOP_WINDOW:g} s (limit {settings.INBOUND_LOOP_LIMIT}): held "
            "by the loop guard. Replay it once the loop is fixed.",
        )
    if automatic:
        return _auto_reply(row, parsed, return_paths, automatic, prepared.bodies)
    return _reply(row, parsed, prepared.bodies)


# ---------------------------------------------------------------------------- bounces


def _from_a_reporter(
    parsed: parsing.Parsed, row: InboundMessage, reports: list[BounceRecord], paths: list[str]
) -> bool:
    """Did a mail system send this report? Bounces come from the null sender (RFC 5321
    requires it) or a mailer daemon, or to a return path; complaints are
    multipart/report; Amazon SES mails its JSON notifications. A person's message
    that merely contains a bounce (forwarded, quoted) is none of these."""
    if paths or loops.is_daemon(parsed, row.mail_from):
        return True
    try:
        if parsed.message.get_content_type() == "multipart/report":
            return True
    except Exception:
        pass
    return any(r.format == "amazonses" for r in reports)


def _bounce(
    row: InboundMessage,
    parsed: parsing.Parsed,
    reports: list[BounceRecord],
    return_paths: list[str],
    prepared: Prepared,
) -> Outcome:
    match = bounce_matching.match(
        row, reports, return_paths, parsed, prepared.returned_copy, known=prepared.known
    )
    kind = (
        InboundKind.COMPLAINT
        if all(r.reason == "feedback" for r in reports)
        else InboundKind.DELAY
        if all(r.action == "delayed" for r in reports)
        else InboundKind.BOUNCE
    )
    if not match.pairs and not match.unverified:
        return Outcome(InboundState.UNMATCHED, kind, "unmatched", match.why)
    key = f"dsn:{row.message_id or row.sha256[:40]}"
    results = [bounce_matching.apply(delivery, record, key) for delivery, record in match.pairs]
    lines = [f"{d.email}: {what}" for (d, _), what in zip(match.pairs, results, strict=True)]
    reporter = parsed.from_address or row.mail_from.strip().strip("<>") or "<>"
    for delivery, record, how in match.unverified:
        kept = delivery_reports.keep_unverified(
            delivery,
            record,
            key,
            matched_by=how,
            reporter=reporter,
            peer=row.peer,
            inbound_message_id=row.pk,
        )
        lines.append(
            f"{delivery.email}: matched only by {how}, with no signed return path, no signed "
            f"envelope id, no copy id signed for this recipient and no trusted reporter: {kept}"
        )
    if match.unmatched:
        lines.append("not matched: " + ", ".join(match.unmatched))
    if results:
        outcome = "recorded" if any(not r.startswith("already") for r in results) else "duplicate"
    else:
        outcome = "unverified_report"
    deliveries = [d for d, _ in match.pairs] + [d for d, _, _ in match.unverified]
    return Outcome(
        InboundState.PROCESSED,
        kind,
        outcome,
        f"matched by {match.how}. " + "; ".join(lines),
        ticket_id=deliveries[0].ticket_id,
        delivery_ids=sorted({d.pk for d in deliveries}),
    )


# ---------------------------------------------------------------------- auto-replies


def _auto_reply(
    row: InboundMessage,
    parsed: parsing.Parsed,
    return_paths: list[str],
    why: str,
    bodies: tuple[str, str],
) -> Outcome:
    ticket, how = None, ""
    if return_paths:
        delivery, problem = bounce_matching.delivery_for_return_path(return_paths[0])
        if delivery is None:
            return Outcome(InboundState.UNMATCHED, InboundKind.AUTO_REPLY, "unmatched", problem)
        ticket, how = delivery.ticket, "signed return path"
    else:
        ticket, how = ticket_matching.match(parsed, row.rcpt_tos)
    if ticket is None:
        return Outcome(
            InboundState.PROCESSED,
            InboundKind.AUTO_REPLY,
            "ignored_auto_reply",
            f"Automatic reply ({why}) that matches no ticket: no ticket is opened for it.",
        )
    author = _find_or_create_user(parsed, row)
    if author is None:
        return _no_sender(InboundKind.AUTO_REPLY)
    comment = _add_comment(
        ticket,
        author,
        parsed,
        row,
        bodies,
        public=False,
        auto_reply=why,
        matched_by=how,
        run_rules=False,
    )
    return Outcome(
        InboundState.PROCESSED,
        InboundKind.AUTO_REPLY,
        "auto_reply_note" if comment else "duplicate",
        f"Automatic reply ({why}) added as an internal note (matched by {how}); "
        "no trigger ran, nobody was emailed.",
        ticket=ticket,
        comment=comment,
    )


# --------------------------------------------------------------------------- replies


def _reply(row: InboundMessage, parsed: parsing.Parsed, bodies: tuple[str, str]) -> Outcome:
    author = _find_or_create_user(parsed, row)
    if author is None:
        return _no_sender(InboundKind.REPLY)
    ticket, how = ticket_matching.match(parsed, row.rcpt_tos)
    follow_up_of = None
    if ticket is not None and ticket.status == Status.CLOSED:
        follow_up_of, ticket = ticket, None
    if ticket is None:
        seen = _already_received(parsed, row)
        if seen is not None:
            return Outcome(
                InboundState.PROCESSED,
                InboundKind.REPLY,
                "duplicate",
                f"Already received: it is a comment on ticket {seen.ticket_id}.",
                ticket=seen.ticket,
                comment=seen,
            )
        return _new_ticket(row, parsed, bodies, author, follow_up_of)
    verified, results = authres.verdict(parsed)
    public = _is_participant(ticket, author) and verified != "fail"
    new_ccs = _new_ccs(ticket, author, parsed) if public and not author.is_agent else []
    comment = _add_comment(
        ticket,
        author,
        parsed,
        row,
        bodies,
        public=public,
        matched_by=how,
        authentication=results,
        fields={"additional_email_cc_ids": new_ccs} if new_ccs else None,
    )
    if comment is None:
        return Outcome(
            InboundState.PROCESSED,
            InboundKind.REPLY,
            "duplicate",
            f"Message-ID <{parsed.message_id}> is already a comment on ticket {ticket.pk}.",
            ticket=ticket,
        )
    return Outcome(
        InboundState.PROCESSED,
        InboundKind.REPLY,
        "comment" if public else "internal_note",
        (
            f"Public comment by {author.email} (matched by {how})."
            if public
            else f"The sender's authentication failed ({results[:300]}): added as an "
            f"internal note for review, not as {author.email}'s public comment (matched by "
            f"{how})."
            if verified == "fail"
            else f"{author.email} is not the requester, a CC or an agent on this ticket: "
            f"added as an internal note for review (matched by {how})."
        ),
        ticket=ticket,
        comment=comment,
    )


def _new_ticket(
    row: InboundMessage,
    parsed: parsing.Parsed,
    bodies: tuple[str, str],
    author: User,
    follow_up_of: Ticket | None,
) -> Outcome:
    body, html_body = bodies
    metadata = _comment_metadata(parsed, row, auto_reply="", matched_by="new ticket")
    if follow_up_of is not None:
        metadata["follow_up_of"] = follow_up_of.pk
    subject = parsed.subject.strip() or "(no subject)"
    ticket = create_ticket(
        actor=author,
        via=Via.EMAIL,
        fields={"subject": subject[:255], "requester_id": author.pk},
        comment=CommentInput(
            body=body,
            html_body=html_body,
            public=True,
            attachments=parsed.attachments,
            metadata=metadata,
        ),
    )
    comment = ticket.comments.order_by("id").first()
    _thread(ticket, parsed, comment)
    return Outcome(
        InboundState.PROCESSED,
        InboundKind.REPLY,
        "new_ticket",
        f"Opened ticket {ticket.pk} for {author.email}"
        + (f" (follow-up of closed ticket {follow_up_of.pk})." if follow_up_of else "."),
        ticket=ticket,
        comment=comment,
    )


def _add_comment(
    ticket: Ticket,
    author: User,
    parsed: parsing.Parsed,
    row: InboundMessage,
    bodies: tuple[str, str],
    *,
    public: bool,
    matched_by: str,
    auto_reply: str = "",
    run_rules: bool = True,
    authentication: str = "",
    fields: dict | None = None,
) -> Comment | None:
    """The comment, or None when this message is already one on the ticket (same
    Message-ID, or — for mail without one — the same stored message, replayed)."""
    if (
        parsed.message_id
        and MessageReference.objects.filter(
            ticket=ticket, message_id=parsed.message_id, direction=Direction.INBOUND
        ).exists()
    ) or Comment.objects.filter(ticket=ticket, metadata__email__inbound_message_id=row.pk).exists():
        return None
    body, html_body = bodies
    if auto_reply:
        body = f"[Automatic reply] {body}"
        html_body = ""
    audit = update_ticket(
        ticket,
        actor=author,
        via=Via.EMAIL,
        fields=fields,
        comment=CommentInput(
            body=body,
            html_body=html_body,
            public=public,
            attachments=parsed.attachments,
            metadata={
                **_comment_metadata(parsed, row, auto_reply=auto_reply, matched_by=matched_by),
                **({"authentication_results": authentication} if authentication else {}),
            },
        ),
        metadata={"inbound_message_id": row.pk},
        run_rules=run_rules,
    )
    event = audit.events.filter(type=EventType.COMMENT).first() if audit else None
    comment = event.comment if event else None
    _thread(ticket, parsed, comment)
    return comment


def _already_received(parsed: parsing.Parsed, row: InboundMessage) -> Comment | None:
    """The comment this message already became (a copy that came twice, a replay)."""
    if parsed.message_id:
        ref = (
            MessageReference.objects.filter(
                message_id=parsed.message_id, direction=Direction.INBOUND, comment__isnull=False
            )
            .select_related("comment__ticket")
            .first()
        )
        if ref is not None:
            return ref.comment
    return (
        Comment.objects.filter(metadata__email__inbound_message_id=row.pk)
        .select_related("ticket")
        .first()
    )


def _thread(ticket: Ticket, parsed: parsing.Parsed, comment: Comment | None) -> None:
    """Index the message so later replies (and our next notification) thread on it."""
    if parsed.message_id:
        MessageReference.objects.get_or_create(
            ticket=ticket,
            message_id=parsed.message_id,
            defaults={"direction": Direction.INBOUND, "comment": comment},
        )


def _bodies(parsed: parsing.Parsed) -> tuple[str, str]:
    if parsed.text.strip():
        body, html_body = replies.visible_text(parsed.text), ""
    elif parsed.html.strip():
        body, html_body = replies.visible_html(parsed.html)
    else:
        body, html_body = "", ""
    if not body.strip():
        names = ", ".join(a["file_name"] for a in parsed.attachments[:10])
        body = f"(no text; attachments: {names})" if names else "(empty message)"
        html_body = ""
    return body, html_body


def _comment_metadata(
    parsed: parsing.Parsed, row: InboundMessage, *, auto_reply: str, matched_by: str
) -> dict:
    return {
        "email": {
            "inbound_message_id": row.pk,
            "message_id": parsed.message_id,
            "from": parsed.from_address,
            "from_name": parsed.from_name,
            "to": parsed.to[:50],
            "cc": parsed.cc[:50],
            "subject": parsed.subject[:255],
            "matched_by": matched_by,
        },
        "auto_reply": bool(auto_reply),
        **({"auto_reply_reason": auto_reply} if auto_reply else {}),
    }


MAX_NEW_CCS = 10  # per message
MAX_CCS = 48  # per ticket, as Zendesk


def _new_ccs(ticket: Ticket, author: User, parsed: parsing.Parsed) -> list[int]:
    """The people a requester or CC copied on their reply, to become CCs (Zendesk's
    behaviour): not our own addresses, not the sender, not who is already on the ticket;
    at most MAX_NEW_CCS per message and MAX_CCS per ticket."""
    ours = {a.lower() for a in settings.SUPPORT_ADDRESSES}
    our_domains = {a.rpartition("@")[2] for a in ours} | {settings.BOUNCE_DOMAIN.lower()}
    current = set(ticket.email_ccs.values_list("pk", flat=True))
    room = min(MAX_NEW_CCS, MAX_CCS - len(current))
    wanted: list[str] = []
    for address in [*parsed.cc, *parsed.to]:
        lower = address.lower()
        if lower in ours or lower.rpartition("@")[2] in our_domains:
            continue
        if lower != author.email.lower() and lower not in wanted:
            wanted.append(lower)
    ids: list[int] = []
    for address in wanted:
        if len(ids) >= room:
            break
        user = _user_for(address, "")
        if user.is_active and user.pk not in current and user.pk != ticket.requester_id:
            ids.append(user.pk)
    return ids


def _is_participant(ticket: Ticket, user: User) -> bool:
    if user.is_agent and user.is_active:
        return True
    if user.pk == ticket.requester_id:
        return True
    return ticket.email_ccs.filter(pk=user.pk).exists()


def _find_or_create_user(parsed: parsing.Parsed, row: InboundMessage) -> User | None:
    """The sender as a user: found by any of their email identities, else a new end
    user. None when the message names no usable address."""
    address = parsed.from_address
    if not address:
        from buzon.mail.addresses import InvalidAddress, check_address

        try:
            address = check_address(row.mail_from.strip().strip("<>"))
        except InvalidAddress:
            return None
    return _user_for(address, parsed.from_name)


def _user_for(address: str, display_name: str) -> User:
    """The user with this (checked) address, or a new end user."""
    identity = UserIdentity.objects.select_related("user").filter(value__lower=address).first()
    if identity is not None:
        return identity.user
    user = User.objects.filter(email__lower=address).first()
    if user is not None:
        return user
    name = display_name.strip() or address.split("@")[0]
    try:
        with transaction.atomic():  # another worker may be creating the same person
            return User.objects.create_user(address, name[:255], role=Role.END_USER)
    except IntegrityError:
        return User.objects.get(email__lower=address)


def _no_sender(kind: str) -> Outcome:
    return Outcome(
        InboundState.PROCESSED,
        kind,
        "ignored_no_sender",
        "Neither the From header nor the envelope sender is a usable address: "
        "nobody to attribute it to. Kept here, not added to any ticket.",
    )
