"""The new-ticket page: requester found or created, CCs, first comment, addresses checked."""

from buzon.deliveries.models import Delivery
from buzon.deliveries.recording import Failure, record_failure
from buzon.tickets.models import Comment, Role, Ticket, User


def post(client, **fields):
    data = {
        "requester": "ana@example.com",
        "subject": "Called about an invoice",
        "visibility": "public",
        "body": "As agreed on the phone, here is the invoice.",
        "status": "open",
        **fields,
    }
    return client.post("/tickets/new/", data)


def test_the_page_has_every_field_and_the_shortcut_is_documented(agent_client):
    html = agent_client.get("/tickets/new/").content.decode()
    for name in ("requester", "requester_name", "ccs", "subject", "visibility", "body"):
        assert f'name="{name}"' in html
    assert 'name="status"' in html and 'name="assignee"' in html
    assert "<kbd>n</kbd>" in html and 'data-shortcut="n"' in html
    assert 'data-people-lookup="/people/lookup/"' in html
    assert 'data-address-check="/addresses/check/"' in html


def test_an_existing_requester_gets_a_ticket_with_ccs_and_an_assignee(
    agent, agent_client, requester, cc_users
):
    response = post(
        agent_client,
        requester=requester.email.upper(),
        ccs=", ".join(u.email for u in cc_users),
        assignee=str(agent.pk),
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.requester == requester and ticket.via == "web"
    assert ticket.status == "open" and ticket.assignee == agent
    assert sorted(ticket.email_ccs.values_list("email", flat=True)) == sorted(
        u.email for u in cc_users
    )
    comment = Comment.objects.get(ticket=ticket)
    assert comment.public and comment.author == agent
    # The requester and the CCs are emailed (the standard trigger, via the outbox).
    emailed = set(Delivery.objects.filter(ticket=ticket).values_list("email", flat=True))
    assert requester.email in emailed


def test_a_new_person_is_created_on_the_spot(agent_client, db):
    post(agent_client, requester="nuevo@example.org", requester_name="Nuevo Cliente")
    person = User.objects.get(email="nuevo@example.org")
    assert person.name == "Nuevo Cliente" and person.role == Role.END_USER
    assert Ticket.objects.get().requester == person


def test_an_internal_first_comment_emails_nobody(agent_client, requester):
    post(agent_client, requester=requester.email, visibility="internal")
    ticket = Ticket.objects.get()
    assert not Comment.objects.get(ticket=ticket).public
    assert not Delivery.objects.filter(ticket=ticket).exists()


def test_a_mistyped_domain_is_flagged_before_anything_is_created(agent_client, db):
    response = post(agent_client, requester="ana@gmial.com")
    assert response.status_code == 409
    html = response.content.decode()
    assert "did you mean ana@gmail.com? Correct the address if so." in html
    assert 'name="send_anyway"' in html
    assert not Ticket.objects.exists()
    # What was typed is kept.
    assert 'value="ana@gmial.com"' in html and "Called about an invoice" in html
    assert post(agent_client, requester="ana@gmial.com", send_anyway="on").status_code == 302


def test_a_suppressed_address_is_flagged_with_what_to_do(agent_client, ticket, requester):
    delivery = Delivery.objects.get(ticket=ticket, email=requester.email)
    record_failure(delivery, Failure("smtp", 550, "5.1.1", "unknown", "mx", "userunknown", True))
    response = post(agent_client, requester=requester.email)
    assert response.status_code == 409
    assert (
        "Suppressed after failures: the email will not be sent to it." in response.content.decode()
    )
    check = agent_client.get("/addresses/check/", {"address": requester.email}).json()
    assert check["undeliverable"] == "suppressed" and check["undeliverable_message"]


def test_invalid_input_comes_back_with_errors(agent_client, db):
    response = post(agent_client, requester="not an address", ccs="ok@example.com, nope", body=" ")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter the requester&#x27;s email address." in html
    assert "“nope” is not an email address." in html
    assert "This field is required." in html
    assert not Ticket.objects.exists()


def test_people_are_found_by_name_or_address(agent_client, requester):
    by_name = agent_client.get("/people/lookup/", {"q": requester.name[:3].lower()}).json()
    assert requester.email in [p["email"] for p in by_name["people"]]
    by_address = agent_client.get("/people/lookup/", {"q": requester.email[:4]}).json()
    assert requester.email in [p["email"] for p in by_address["people"]]
    assert agent_client.get("/people/lookup/", {"q": "a"}).json() == {"people": []}


def test_end_users_cannot_open_the_page(end_user_client):
    assert end_user_client.get("/tickets/new/").status_code == 403
    assert end_user_client.get("/people/lookup/?q=ana").status_code == 403


def test_the_page_in_spanish(spanish_agent_client):
    html = spanish_agent_client.get("/tickets/new/").content.decode()
    assert "Nuevo ticket" in html and "Crear ticket" in html
