"""The activity table in words: what happened to whom, filtered to one person or group and by kind; the CSV
and the API with the same columns; the members view's history and the group list."""

import csv
import io
import re
from http import HTTPStatus

import pytest

from tests.enterprise.test_page_activity import _rows
from tests.scim import entra

pytestmark = pytest.mark.django_db

PAGE = "/enterprise/contoso/"
CSV = "/enterprise/contoso/scim/activity.csv"
MEMBERS = "/enterprise/contoso/members/"


@pytest.fixture
def cycle(scim):
    """A provisioning cycle: alex is created, renamed in the flag dialect, added to Sales, deactivated and
    deleted; bo is created; one request fails."""
    alex = scim.post("/Users", entra.create_user("alex@contoso.com")).json()
    bo = scim.post("/Users", entra.create_user("bo@contoso.com")).json()
    scim.patch(f"/Users/{alex['id']}", entra.patch({"op": "replace", "value": {"displayName": "Alex"}}))
    sales = scim.post("/Groups", entra.create_group("Sales")).json()
    add = entra.patch({"op": "Add", "path": "members", "value": [{"value": alex["id"]}]})
    scim.patch(f"/Groups/{sales['id']}", add)
    scim.post("/Users", entra.create_user("bo@contoso.com"))
    scim.patch(f"/Users/{alex['id']}", entra.DISABLE_DEFAULT)
    scim.delete(f"/Users/{alex['id']}")
    return {"alex": alex["id"], "bo": bo["id"], "sales": sales["id"]}


def _summaries(admin_session, params: dict) -> list[str]:
    results = admin_session.get(PAGE + "api/scim/activity/", params).json()["results"]
    return [r["summary"] for r in results]


def test_the_table_tells_what_happened_to_whom_with_links(admin_session, cycle):
    text = admin_session.get(PAGE).text
    rows = _rows(text)

    assert len(rows) == 8
    assert '<span class="said">Deleted alex@contoso.com</span>' in rows[0]
    assert '<span class="said">Deactivated alex@contoso.com</span>' in rows[1]
    assert '<span class="said">Updated alex@contoso.com: display name</span>' in rows[5]
    assert '<span class="said">Created bo@contoso.com</span>' in rows[6]
    assert f'href="/enterprise/contoso/?target={cycle["alex"]}#activity">history</a>' in rows[0]
    assert '<a href="/enterprise/contoso/members/?q=alex%40contoso.com">alex@contoso.com</a>' in rows[0]
    assert "Added alex@contoso.com to Sales" in rows[3]
    assert '<a href="/enterprise/contoso/members/#groups">group Sales</a>' in rows[3]
    assert "A user with userName &#x27;bo@contoso.com&#x27; already exists." in rows[2]


def test_everything_that_happened_to_one_person_even_after_deletion(admin_session, cycle):
    text = admin_session.get(PAGE, {"target": cycle["alex"]}).text

    assert "Everything that happened to <strong>alex@contoso.com</strong>." in text
    assert _summaries(admin_session, {"target": cycle["alex"]}) == [
        "Deleted member alex@contoso.com",
        "Deactivated alex@contoso.com",
        "Updated alex@contoso.com: displayName",
        "Created member alex@contoso.com",
    ]
    assert len(_rows(text)) == 4


def test_everything_that_happened_to_a_group(admin_session, cycle):
    assert _summaries(admin_session, {"target": cycle["sales"]}) == [
        "Added alex@contoso.com to Sales",
        "Created group Sales",
    ]


def test_changes_only_and_errors_only(admin_session, cycle, scim):
    scim.get(entra.TEST_CONNECTION)

    assert _summaries(admin_session, {"kind": "changes"}) == [
        "Deleted member alex@contoso.com",
        "Deactivated alex@contoso.com",
        "Added alex@contoso.com to Sales",
        "Created group Sales",
        "Updated alex@contoso.com: displayName",
        "Created member bo@contoso.com",
        "Created member alex@contoso.com",
    ]
    assert _summaries(admin_session, {"kind": "errors"}) == [
        "A user with userName 'bo@contoso.com' already exists."
    ]
    text = admin_session.get(PAGE, {"kind": "changes", "target": cycle["alex"]}).text
    assert len(_rows(text)) == 4
    assert '<a href="/enterprise/contoso/?kind=errors&amp;target=' in text
    assert f'href="/enterprise/contoso/scim/activity.csv?kind=changes&amp;target={cycle["alex"]}">' in text


def test_the_csv_has_the_same_columns_and_filters(admin_session, cycle):
    response = admin_session.get(CSV, {"target": cycle["alex"], "kind": "changes"})
    assert response.status_code == HTTPStatus.OK
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert rows[0][:6] == ["time", "action", "summary", "target_type", "target_id", "target_label"]
    assert [row[1:6] for row in rows[1:]] == [
        ["deleted", "Deleted member alex@contoso.com", "User", cycle["alex"], "alex@contoso.com"],
        ["deactivated", "Deactivated alex@contoso.com", "User", cycle["alex"], "alex@contoso.com"],
        ["updated", "Updated alex@contoso.com: displayName", "User", cycle["alex"], "alex@contoso.com"],
        ["created", "Created member alex@contoso.com", "User", cycle["alex"], "alex@contoso.com"],
    ]


def test_a_summary_that_starts_like_a_formula_is_text_in_the_csv(admin_session, scim):
    scim.post("/Groups", entra.create_group("=HYPERLINK(1)"))

    text = b"".join(admin_session.get(CSV).streaming_content).decode()
    assert '"Created group =HYPERLINK(1)","Group",' in text
    assert ',"\'=HYPERLINK(1)","POST"' in text


def test_the_members_view_shows_who_changed_a_person_when_and_the_groups(admin_session, scim):
    alex = scim.post("/Users", entra.create_user("alex@contoso.com")).json()
    scim.patch(f"/Users/{alex['id']}", entra.DISABLE_FLAG)
    scim.patch(f"/Users/{alex['id']}", entra.patch({"op": "Replace", "path": "title", "value": "CTO"}))
    sales = scim.post("/Groups", entra.create_group("Sales")).json()
    scim.patch(
        f"/Groups/{sales['id']}",
        entra.patch({"op": "Add", "path": "members", "value": [{"value": alex["id"]}]}),
    )
    scim.post("/Groups", entra.create_group("Empty"))

    text = admin_session.get(MEMBERS).text
    row = re.search(rf'<tr id="member-{alex["id"]}">(.*?)</tr>', text, re.S)[1]
    last = re.search(r'<td data-label="Last change" class="last-change">(.*?)</td>', row, re.S)[1]

    # The last change in words, when and by whom; the request itself only on demand.
    assert '<span class="said">Updated title</span>' in last
    # The test client sends no User-Agent; Entra's says "Azure-AD-SCIM-Client" (tests/browser).
    assert re.search(r'data-local="relative">just now</time> by your identity provider', last)
    assert f'href="/enterprise/contoso/?target={alex["id"]}#activity">history</a>' in last
    outside = row.replace(last[last.index('<details class="request">') :], "")
    assert "/Users/" not in outside and "pdscim_" not in outside
    assert f"<code>PATCH /Users/{alex['id']}</code>" in last[last.index('<details class="request">') :]
    groups = re.findall(
        r'<tr id="group-[^"]+">\s*<td data-label="Group">(.*?)</td>\s*'
        r'<td data-label="Members" class="num">(\d+)</td>',
        text,
    )
    assert groups == [("Empty", "0"), ("Sales", "1")]
