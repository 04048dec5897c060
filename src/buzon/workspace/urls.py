from django.urls import path

from buzon.workspace.views import (
    auth,
    codes,
    deliverability,
    health,
    live,
    mailboxes,
    new_ticket,
    people,
    search,
    ticket_lists,
    tickets,
)

app_name = "workspace"

urlpatterns = [
    path("", ticket_lists.home, name="home"),
    path("login/", auth.sign_in, name="login"),
    path("logout/", auth.sign_out, name="logout"),
    path("preferences/", auth.preferences, name="preferences"),
    path("preferences/language/", auth.set_language, name="set_language"),
    path("views/<int:view_id>/", ticket_lists.view_tickets, name="view"),
    path("views/counts/", ticket_lists.view_counts, name="view_counts"),
    path("tickets/new/", new_ticket.new_ticket, name="new_ticket"),
    path("people/lookup/", new_ticket.people_lookup, name="people_lookup"),
    path("tickets/<int:ticket_id>/", tickets.ticket_page, name="ticket"),
    path("tickets/<int:ticket_id>/events/", tickets.ticket_events, name="ticket_events"),
    path(
        "tickets/<int:ticket_id>/conversation/",
        tickets.ticket_conversation,
        name="ticket_conversation",
    ),
    path("tickets/<int:ticket_id>/live/", live.ticket_live, name="ticket_live"),
    path("tickets/<int:ticket_id>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path(
        "tickets/<int:ticket_id>/reports/<int:report_id>/accept/",
        tickets.accept_report,
        name="accept_report",
    ),
    path("triggers/<int:trigger_id>/", tickets.trigger_page, name="trigger"),
    path("users/<int:user_id>/", people.profile, name="profile"),
    path("users/<int:user_id>/identities/", people.identity_add, name="identity_add"),
    path(
        "users/<int:user_id>/identities/<int:identity_id>/edit/",
        people.identity_edit,
        name="identity_edit",
    ),
    path(
        "users/<int:user_id>/identities/<int:identity_id>/primary/",
        people.identity_make_primary,
        name="identity_primary",
    ),
    path(
        "users/<int:user_id>/identities/<int:identity_id>/deliverable/",
        people.identity_mark_deliverable,
        name="identity_deliverable",
    ),
    path("search/", search.search_page, name="search"),
    path("codes/", codes.code_reference, name="codes"),
    path("codes/<str:code>/", codes.code_detail, name="code"),
    path("health/", health.health, name="health"),
    path("settings/deliverability/", deliverability.deliverability, name="deliverability"),
    path("addresses/check/", deliverability.address_check, name="address_check"),
    path("settings/mailboxes/", mailboxes.mailboxes, name="mailboxes"),
    path("settings/mailboxes/<int:mailbox_id>/", mailboxes.mailbox_edit, name="mailbox_edit"),
    path(
        "settings/mailboxes/<int:mailbox_id>/delete/",
        mailboxes.mailbox_delete,
        name="mailbox_delete",
    ),
]
