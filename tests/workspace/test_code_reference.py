"""The SMTP code reference pages, built on buzon.smtpcodes."""


def test_the_reference_lists_reply_and_enhanced_codes(agent_client):
    html = agent_client.get("/codes/").content.decode()
    assert 'id="code-550"' in html and 'id="code-421"' in html
    assert "Enhanced status codes" in html
    assert 'href="/codes/550/"' in html


def test_the_reference_is_searchable(agent_client):
    html = agent_client.get("/codes/?q=mailbox+full").content.decode()
    assert 'id="code-552"' in html
    assert 'id="code-421"' not in html


def test_a_search_without_match_says_so(agent_client):
    html = agent_client.get("/codes/?q=zzzzqqq").content.decode()
    assert "No code matches" in html


def test_each_code_has_its_own_page(agent_client):
    response = agent_client.get("/codes/5.2.2/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mailbox full" in html and "What to do" in html


def test_an_unknown_code_is_404(agent_client):
    assert agent_client.get("/codes/999/").status_code == 404


def test_the_reference_speaks_spanish(spanish_agent_client):
    html = spanish_agent_client.get("/codes/5.1.1/").content.decode()
    assert "El buzón no existe" in html
