"""Users and their email identities (Zendesk's Users and User Identities APIs)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse

from buzon.api import history
from buzon.api import serializers as s
from buzon.api import types as t
from buzon.api.access import visible_users
from buzon.api.auth import Caller
from buzon.api.errors import bad_request, forbidden, not_found, record_invalid
from buzon.api.pagination import PAGE_PARAMS, paginate
from buzon.api.people import LOCALES_BY_ZENDESK_ID, clean_email, user_by_email
from buzon.api.router import Call, Param, api, page_of
from buzon.search import QueryError, compile_users, parse_query
from buzon.tickets.models import (
    DeliverableState,
    Locale,
    Organization,
    Role,
    User,
    UserIdentity,
    normalize_email,
)

TAG = "Users"
UsersPage = page_of("users", t.User, "UsersPage")


def _looks_like_address(text: str) -> bool:
    try:
        validate_email(normalize_email(text))
    except ValidationError:
        return False
    return True


def _get_user(call: Call, user_id: int) -> User:
    user = visible_users(call.caller).filter(pk=user_id).first()
    if user is None:
        raise not_found()
    return user


def _may_edit(caller: Caller, user: User) -> None:
    """Admins edit anyone; agents edit end users and themselves."""
    if caller.is_admin or (
        caller.is_agent and (user.role == Role.END_USER or user.pk == caller.user.pk)
    ):
        return
    raise forbidden("Only admins may change agents and admins")


@api.get(
    "users",
    response=UsersPage,
    summary="List users",
    tag=TAG,
    query=[*PAGE_PARAMS, Param("role", str, "end-user, agent or admin (role[] for several)")],
)
def list_users(call: Call) -> dict[str, Any]:
    users = User.objects.all()
    roles = call.list_param("role")
    if roles:
        unknown = sorted(set(roles) - set(Role.values))
        if unknown:
            raise bad_request(
                f"unknown role {unknown[0]!r}; one of {', '.join(Role.values)}", "role"
            )
        users = users.filter(role__in=roles)
    page = paginate(call, s.user_queryset(users), ["id"])
    return {"users": [s.user_json(call, u) for u in page.items], **page.envelope}


@api.get(
    "users/me", response=t.UserResponse, summary="Show the signed-in user", tag=TAG, access="user"
)
def show_me(call: Call) -> t.UserResponse:
    return {"user": s.user_json(call, s.user_queryset(User.objects.filter(pk=call.user.pk)).get())}


@api.get(
    "users/show_many",
    response=UsersPage,
    summary="Show many users",
    tag=TAG,
    query=[Param("ids", str, "Comma-separated user ids (at most 100)", required=True)],
)
def show_many_users(call: Call) -> dict[str, Any]:
    users = s.user_queryset(User.objects.filter(pk__in=call.ids_param("ids"))).order_by("id")
    return {"users": [s.user_json(call, u) for u in users]}


@api.get(
    "users/search",
    response=UsersPage,
    summary="Search users",
    tag=TAG,
    query=[
        *PAGE_PARAMS[:2],
        Param(
            "query",
            str,
            "An email address, part of a name or address, "
            "or any user search (name:, email:, role:…)",
        ),
    ],
)
def search_users(call: Call) -> dict[str, Any]:
    """`query=ana@example.com` finds the user with that address (any of theirs);
    other text is searched with the search syntax (docs/search.md) among users."""
    text = call.param("query") or ""
    if not text:
        raise bad_request("give query (an email address or words)", "query")
    if _looks_like_address(text):
        address = normalize_email(text)
        users = User.objects.filter(
            Q(pk__in=UserIdentity.objects.filter(value__lower=address).values("user_id"))
            | Q(email__lower=address)
        )
    else:
        try:
            users = compile_users(parse_query(text), user=call.user)
        except QueryError as error:
            raise bad_request(str(error), "query", position=error.position) from None
    page = paginate(call, s.user_queryset(users), ["id"], cursor=False)
    return {"users": [s.user_json(call, u) for u in page.items], **page.envelope}


@api.get("users/{user_id}", response=t.UserResponse, summary="Show a user", tag=TAG, access="user")
def show_user(call: Call, user_id: int) -> t.UserResponse:
    _get_user(call, user_id)
    return {"user": s.user_json(call, s.user_queryset(User.objects.filter(pk=user_id)).get())}


@api.post(
    "users",
    body=t.UserRequest,
    response=t.UserResponse,
    status=201,
    summary="Create a user",
    tag=TAG,
)
def create_user(call: Call) -> Any:
    """Agents create end users; admins also agents and admins."""
    data = call.body["user"]
    if "email" not in data or "name" not in data:
        raise record_invalid(
            "email" if "email" not in data else "name", "a new user needs name and email"
        )
    role = data.get("role", Role.END_USER)
    if role != Role.END_USER and not call.caller.is_admin:
        raise forbidden("Only admins may create agents and admins")
    address = clean_email(data["email"], "email")
    if user_by_email(address) is not None:
        raise record_invalid("email", f"{address} is already being used by another user")
    name = " ".join(data["name"].split())[:255]
    if not name:
        raise record_invalid("name", "the name cannot be empty")
    with transaction.atomic():
        user = User.objects.create_user(address, name, role=role)
        _apply_user_fields(
            call, user, {k: v for k, v in data.items() if k not in ("email", "name", "role")}
        )
        history.record(call, user, "create")
    body = {"user": s.user_json(call, s.user_queryset(User.objects.filter(pk=user.pk)).get())}
    response = JsonResponse(body, status=201, json_dumps_params={"ensure_ascii": False})
    response["Location"] = call.url(f"users/{user.pk}")
    return response


@api.put(
    "users/{user_id}", body=t.UserRequest, response=t.UserResponse, summary="Update a user", tag=TAG
)
def update_user(call: Call, user_id: int) -> t.UserResponse:
    """`email` makes that address the primary identity (adding it when new)."""
    user = _get_user(call, user_id)
    _may_edit(call.caller, user)
    data = call.body["user"]
    with transaction.atomic():
        _apply_user_fields(call, user, data)
        history.record(call, user, "update", ", ".join(sorted(data)))
    return {"user": s.user_json(call, s.user_queryset(User.objects.filter(pk=user.pk)).get())}


def _apply_user_fields(call: Call, user: User, data: dict[str, Any]) -> None:
    if "name" in data:
        name = " ".join(data["name"].split())[:255]
        if not name:
            raise record_invalid("name", "the name cannot be empty")
        user.name = name
    if "role" in data and data["role"] != user.role:
        if not call.caller.is_admin:
            raise forbidden("Only admins may change roles")
        if user.pk == call.user.pk:
            raise record_invalid("role", "you cannot change your own role")
        user.role = data["role"]
    if "locale_id" in data:
        if data["locale_id"] not in LOCALES_BY_ZENDESK_ID:
            raise record_invalid("locale_id", "locale_id must be 1 (English) or 2 (Spanish)")
        user.locale = LOCALES_BY_ZENDESK_ID[data["locale_id"]]
    if "locale" in data:
        locale = data["locale"].split("-")[0].lower()
        if locale not in Locale.values:
            raise record_invalid("locale", "locale must be en or es")
        user.locale = locale
    if "time_zone" in data:
        try:
            ZoneInfo(data["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise record_invalid(
                "time_zone",
                f"unknown time zone {data['time_zone']!r} (use an IANA name, e.g. Europe/Madrid)",
            ) from None
        user.time_zone = data["time_zone"]
    if "organization_id" in data:
        org_id = data["organization_id"]
        if org_id is not None and not Organization.objects.filter(pk=org_id).exists():
            raise record_invalid("organization_id", f"no organization with id {org_id}")
        user.organization_id = org_id
    if "notes" in data:
        user.notes = data["notes"]
    user.save()
    if "email" in data:
        address = clean_email(data["email"], "email")
        identity = UserIdentity.objects.filter(value__lower=address).first()
        if identity is not None and identity.user_id != user.pk:
            raise record_invalid("email", f"{address} is already being used by another user")
        if identity is None:
            identity = UserIdentity.objects.create(user=user, value=address)
        _make_primary(user, identity)
    if data.get("verified") is True:
        UserIdentity.objects.filter(user=user, primary=True).update(verified=True)


def _make_primary(user: User, identity: UserIdentity) -> None:
    UserIdentity.objects.filter(user=user).exclude(pk=identity.pk).update(primary=False)
    if not identity.primary:
        identity.primary = True
        identity.save(update_fields=["primary", "updated_at"])
    if user.email != identity.value:
        user.email = identity.value
        user.save(update_fields=["email", "updated_at"])


# -------------------------------------------------------------------------- identities

ITAG = "User identities"


def _identity(call: Call, user_id: int, identity_id: int) -> tuple[User, UserIdentity]:
    user = _get_user(call, user_id)
    identity = UserIdentity.objects.filter(user=user, pk=identity_id).first()
    if identity is None:
        raise not_found()
    return user, identity


def _identities(call: Call, user: User) -> t.IdentitiesResponse:
    return {
        "identities": [s.identity_json(call, i) for i in user.identities.order_by("-primary", "id")]
    }


@api.get(
    "users/{user_id}/identities",
    response=t.IdentitiesResponse,
    summary="List a user's identities",
    tag=ITAG,
    access="user",
)
def list_identities(call: Call, user_id: int) -> t.IdentitiesResponse:
    """With each address's deliverability: `deliverable_state` and `undeliverable_count`."""
    return _identities(call, _get_user(call, user_id))


@api.get(
    "users/{user_id}/identities/{identity_id}",
    response=t.IdentityResponse,
    summary="Show an identity",
    tag=ITAG,
    access="user",
)
def show_identity(call: Call, user_id: int, identity_id: int) -> t.IdentityResponse:
    return {"identity": s.identity_json(call, _identity(call, user_id, identity_id)[1])}


@api.post(
    "users/{user_id}/identities",
    body=t.IdentityRequest,
    response=t.IdentityResponse,
    status=201,
    summary="Add an identity",
    tag=ITAG,
)
def create_identity(call: Call, user_id: int) -> Any:
    user = _get_user(call, user_id)
    _may_edit(call.caller, user)
    data = call.body["identity"]
    if data.get("type", "email") != "email" or "value" not in data:
        raise record_invalid(
            "value", "Buzón has email identities only: give type email and a value"
        )
    address = clean_email(data["value"], "value")
    if UserIdentity.objects.filter(value__lower=address).exists():
        raise record_invalid("value", f"{address} is already being used")
    with transaction.atomic():
        identity = UserIdentity.objects.create(
            user=user, value=address, verified=bool(data.get("verified", False))
        )
        if data.get("primary"):
            _make_primary(user, identity)
        history.record(call, user, "update", f"added identity {address}")
    response = JsonResponse(
        {"identity": s.identity_json(call, identity)},
        status=201,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Location"] = call.url(f"users/{user.pk}/identities/{identity.pk}")
    return response


@api.put(
    "users/{user_id}/identities/{identity_id}",
    body=t.IdentityRequest,
    response=t.IdentityResponse,
    summary="Update an identity",
    tag=ITAG,
)
def update_identity(call: Call, user_id: int, identity_id: int) -> t.IdentityResponse:
    """Correct a mistyped address (`value`): the corrected address starts deliverable,
    with no failures counted. `verified: true` marks it verified."""
    user, identity = _identity(call, user_id, identity_id)
    _may_edit(call.caller, user)
    data = call.body["identity"]
    with transaction.atomic():
        if "value" in data:
            address = clean_email(data["value"], "value")
            if address.lower() != identity.value.lower():
                if (
                    UserIdentity.objects.filter(value__lower=address)
                    .exclude(pk=identity.pk)
                    .exists()
                ):
                    raise record_invalid("value", f"{address} is already being used")
                previous = identity.value
                identity.value = address
                identity.verified = False
                identity.deliverable_state = DeliverableState.DELIVERABLE
                identity.undeliverable_count = 0
                history.record(call, user, "update", f"identity {previous} → {address}")
            else:
                identity.value = address
        if "verified" in data:
            identity.verified = data["verified"]
        identity.save()
        if identity.primary and user.email != identity.value:
            user.email = identity.value
            user.save(update_fields=["email", "updated_at"])
    return {"identity": s.identity_json(call, identity)}


@api.put(
    "users/{user_id}/identities/{identity_id}/make_primary",
    response=t.IdentitiesResponse,
    summary="Make an identity primary",
    tag=ITAG,
)
def make_identity_primary(call: Call, user_id: int, identity_id: int) -> t.IdentitiesResponse:
    user, identity = _identity(call, user_id, identity_id)
    _may_edit(call.caller, user)
    with transaction.atomic():
        _make_primary(user, identity)
        history.record(call, user, "update", f"primary identity {identity.value}")
    return _identities(call, user)


@api.delete(
    "users/{user_id}/identities/{identity_id}",
    response=None,
    status=204,
    summary="Delete an identity",
    tag=ITAG,
)
def delete_identity(call: Call, user_id: int, identity_id: int) -> None:
    user, identity = _identity(call, user_id, identity_id)
    _may_edit(call.caller, user)
    if identity.primary:
        raise record_invalid(
            "primary", "the primary identity cannot be deleted; make another one primary first"
        )
    with transaction.atomic():
        history.record(call, user, "update", f"deleted identity {identity.value}")
        identity.delete()
    return None
