"""People and addresses that differ only in case are merged, losing nothing, so that
the next migration can make addresses unique whatever their case:

1. users that share an address in any case (their emails, or any of their identities)
   become one: the one with the highest role (admin, agent, end user), then a
   superuser, a usable password, active, the oldest, is kept; every row that points
   at the others (tickets they requested, submitted or are assigned, comments,
   audits, notifications, deliveries, API tokens, CCs, followers, groups, the admin's
   log, …) is moved to it, and the others are deleted once nothing points at them;
2. a user's identities that differ only in case become one: the primary one (else
   the oldest) is kept, with the worse deliverability of the two.

Addresses are grouped by the database's own LOWER(), the function the indexes use.
(Its own migration: PostgreSQL cannot alter a table in the transaction that changed
its rows.)
"""

from django.db import IntegrityError, migrations, transaction
from django.db.models.functions import Lower

ROLE_RANK = {"admin": 0, "agent": 1, "end-user": 2}


def merge_case_duplicates(apps, schema_editor):
    User = apps.get_model("tickets", "User")
    Identity = apps.get_model("tickets", "UserIdentity")
    groups = _users_sharing_an_address(User, Identity)
    for members in groups:
        users = sorted(User.objects.filter(pk__in=members), key=_keep_first)
        keep, others = users[0], users[1:]
        for other in others:
            _move_everything(apps, User, other.pk, keep.pk)
            User.objects.filter(pk=other.pk).delete()
        # The identities moved over are the kept user's secondary addresses.
        Identity.objects.filter(user_id=keep.pk, primary=True).exclude(
            pk__in=Identity.objects.annotate(key=Lower("value"))
            .filter(user_id=keep.pk, key=keep.email.lower())
            .values("pk")[:1]
        ).update(primary=False)
    _merge_identities(Identity)


def _users_sharing_an_address(User, Identity) -> list[set[int]]:
    """Groups (of two or more user ids) linked by an address in any case."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, int] = {}
    rows = [
        *User.objects.annotate(key=Lower("email")).values_list("key", "pk"),
        *Identity.objects.annotate(key=Lower("value")).values_list("key", "user_id"),
    ]
    for key, user_id in rows:
        if key in owner:
            parent[find(user_id)] = find(owner[key])
        else:
            owner[key] = user_id
    groups: dict[int, set[int]] = {}
    for user_id in parent:
        groups.setdefault(find(user_id), set()).add(user_id)
    return [g for g in groups.values() if len(g) > 1]


def _keep_first(user) -> tuple:
    return (
        ROLE_RANK.get(user.role, 3),
        not user.is_superuser,
        user.password.startswith("!") or not user.password,
        not user.is_active,
        user.pk,
    )


def _move_everything(apps, User, old: int, new: int) -> None:
    """Point every foreign key to user `old` at user `new`. A row that would then
    repeat one `new` already has (a CC, a follower, a group membership) is deleted."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.related_model is not User:
                continue
            rows = model._base_manager.filter(**{field.attname: old})
            try:
                with transaction.atomic():
                    rows.update(**{field.attname: new})
            except IntegrityError:
                for pk in rows.values_list("pk", flat=True):
                    try:
                        with transaction.atomic():
                            model._base_manager.filter(pk=pk).update(**{field.attname: new})
                    except IntegrityError:
                        model._base_manager.filter(pk=pk).delete()


def _merge_identities(Identity) -> None:
    by_key: dict[str, list] = {}
    for identity in Identity.objects.annotate(key=Lower("value")).order_by("-primary", "pk"):
        by_key.setdefault(identity.key, []).append(identity)
    for same in by_key.values():
        if len(same) < 2:
            continue
        keep, others = same[0], same[1:]
        if any(o.deliverable_state != "deliverable" for o in others) and (
            keep.deliverable_state == "deliverable"
        ):
            worst = next(o for o in others if o.deliverable_state != "deliverable")
            keep.deliverable_state = worst.deliverable_state
        keep.undeliverable_count = max(i.undeliverable_count for i in same)
        keep.verified = any(i.verified for i in same)
        Identity.objects.filter(pk__in=[o.pk for o in others]).delete()
        keep.save(update_fields=["deliverable_state", "undeliverable_count", "verified"])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_deliverycomplaint_event"),
    ]

    operations = [
        migrations.RunPython(merge_case_duplicates, migrations.RunPython.noop),
    ]
