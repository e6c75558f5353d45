"""Provisioning activity on the Enterprise page: the hourly chart, the table, its pages, and the CSV."""

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone

from enterprise.activity.selectors import activity_chart
from tests.factories import ProvisioningEventFactory

pytestmark = pytest.mark.django_db

PAGE = "/enterprise/contoso/"
CSV = "/enterprise/contoso/scim/activity.csv"
DUPLICATE = "A user with userName 'x' already exists."


def _rows(text: str) -> list[str]:
    tbody = re.search(r'<table class="activity stacking">.*?<tbody>(.*?)</tbody>', text, re.S)
    return re.findall(r"<tr>(.*?)</tr>", tbody[1], re.S) if tbody else []


def _csv(client, url: str = CSV) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return b"".join(response.streaming_content).decode()


def test_the_chart_counts_requests_per_hour_over_seven_days_by_outcome(enterprise, other_enterprise):
    now = datetime(2026, 3, 10, 14, 25, tzinfo=UTC)
    for minute, status in [(1, 200), (2, 201), (3, 409), (4, 503)]:
        ProvisioningEventFactory(enterprise=enterprise, created_at=now.replace(minute=minute), status=status)
    ProvisioningEventFactory(
        enterprise=enterprise, created_at=datetime(2026, 3, 9, 23, 59, tzinfo=UTC), status=404
    )
    ProvisioningEventFactory(enterprise=enterprise, created_at=datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    ProvisioningEventFactory(enterprise=enterprise, created_at=datetime(2026, 3, 3, 14, 59, tzinfo=UTC))
    ProvisioningEventFactory(enterprise=other_enterprise, created_at=now.replace(minute=5))

    chart = activity_chart(enterprise, now)

    assert len(chart.hours) == 7 * 24
    assert chart.hours[0].start == datetime(2026, 3, 3, 15, tzinfo=UTC)
    assert chart.hours[-1].start == datetime(2026, 3, 10, 14, tzinfo=UTC)
    assert {h.start: (h.success, h.client_error, h.server_error) for h in chart.hours if h.total} == {
        datetime(2026, 3, 3, 15, tzinfo=UTC): (1, 0, 0),
        datetime(2026, 3, 9, 23, tzinfo=UTC): (0, 1, 0),
        datetime(2026, 3, 10, 14, tzinfo=UTC): (2, 1, 1),
    }
    assert (chart.totals.success, chart.totals.client_error, chart.totals.server_error, chart.peak) == (
        3,
        2,
        1,
        4,
    )


def test_the_page_draws_the_chart_as_svg_with_a_summary_and_hour_titles(admin_session, enterprise):
    at = timezone.now() - timedelta(hours=2)
    ProvisioningEventFactory(enterprise=enterprise, created_at=at)
    ProvisioningEventFactory(enterprise=enterprise, created_at=at, status=409)
    ProvisioningEventFactory(enterprise=enterprise, created_at=at, status=500)
    start = at.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=1)

    text = admin_session.get(PAGE).text

    assert (
        '<svg class="chart-svg" viewBox=' in text
        and "<script" not in text.split("<svg")[1].split("</svg>")[0]
    )
    assert '<desc id="chart-desc">3 requests: 1 succeeded, 1 client error, 1 server error.</desc>' in text
    assert (
        f"<title>{start:%a} {start.day} {start:%b, %H:%M}–{end:%H:%M} UTC: "
        "1 succeeded, 1 client error, 1 server error</title>"
    ) in text
    assert text.count('<rect class="success"') == 1 and text.count('<rect class="server_error"') == 1
    assert "Succeeded (1)" in text and "Client error (1)" in text and "Server error (1)" in text


def test_an_empty_chart_says_so(admin_session):
    text = admin_session.get(PAGE).text

    assert '<desc id="chart-desc">0 requests: 0 succeeded, 0 client errors, 0 server errors.</desc>' in text
    assert "No SCIM requests in the last 7 days" in text
    assert "No requests from your identity provider yet." in text


def test_the_table_lists_recent_requests_newest_first(admin_session, enterprise, other_enterprise):
    now = timezone.now()
    ProvisioningEventFactory(enterprise=enterprise, created_at=now - timedelta(minutes=9), duration_ms=31)
    ProvisioningEventFactory(
        enterprise=enterprise,
        created_at=now - timedelta(minutes=3),
        method="POST",
        status=409,
        scim_type="uniqueness",
        detail=DUPLICATE,
        duration_ms=7,
    )
    ProvisioningEventFactory(enterprise=other_enterprise, created_at=now, path="/Groups")

    rows = _rows(admin_session.get(PAGE).text)

    assert len(rows) == 2
    assert (
        '<span class="said">Tried to create someone who already exists; Entra matches them instead</span>'
        in rows[0]
    )
    assert "A user with userName &#x27;x&#x27; already exists." in rows[0]  # the reason, in the details
    # A create Entra resolves by matching the one who exists is a normal answer, not a failure.
    assert '<span class="pill pill-normal">Normal</span>' in rows[0]
    request = rows[0][rows[0].index('<details class="request">') :]
    assert "<code>POST /Users</code>" in request
    assert "<code>409 uniqueness</code>" in request
    assert "7 ms" in request
    assert "by Entra" in rows[0]
    assert "<code>GET /Users</code>" in rows[1][rows[1].index('<details class="request">') :]
    assert '<span class="pill pill-success">Succeeded</span>' in rows[1]


def test_errors_only_keeps_the_failed_requests(admin_session, enterprise):
    ProvisioningEventFactory(enterprise=enterprise, status=200)
    ProvisioningEventFactory(enterprise=enterprise, status=401)
    ProvisioningEventFactory(enterprise=enterprise, status=503)

    text = admin_session.get(PAGE, {"kind": "errors"}).text
    rows = _rows(text)

    assert len(rows) == 2
    assert '<span class="pill pill-server_error">Server error</span>' in rows[0]
    assert '<span class="pill pill-client_error">Client error</span>' in rows[1]
    assert "<code>503</code>" in rows[0] and "<code>401</code>" in rows[1]
    assert '<a href="/enterprise/contoso/?kind=errors#activity" aria-current="true">Errors only</a>' in text
    assert 'href="/enterprise/contoso/scim/activity.csv?kind=errors">Download CSV</a>' in text


def test_errors_only_without_errors_says_so(admin_session, enterprise):
    ProvisioningEventFactory(enterprise=enterprise)

    assert "No failed requests." in admin_session.get(PAGE, {"kind": "errors"}).text


def test_the_table_is_paged_and_pages_keep_the_filter(admin_session, enterprise):
    start = timezone.now() - timedelta(hours=1)
    for i in range(25):
        ProvisioningEventFactory(
            enterprise=enterprise, created_at=start + timedelta(minutes=i), status=400, detail=f"Request {i}."
        )

    first = admin_session.get(PAGE, {"kind": "errors"}).text
    second = admin_session.get(PAGE, {"kind": "errors", "page": "2"}).text

    assert len(_rows(first)) == 20 and "Request 24." in _rows(first)[0]
    assert "Page 1 of 2" in first
    assert 'href="/enterprise/contoso/?kind=errors&amp;page=2#activity" rel="next">Next →</a>' in first
    assert len(_rows(second)) == 5 and "Request 4." in _rows(second)[0]
    assert 'href="/enterprise/contoso/?kind=errors&amp;page=1#activity" rel="prev">← Previous</a>' in second


def test_the_csv_has_every_request_of_this_enterprise(admin_session, enterprise, other_enterprise):
    ProvisioningEventFactory(
        enterprise=enterprise, created_at=datetime(2026, 3, 10, 14, 0, 5, tzinfo=UTC), duration_ms=31
    )
    ProvisioningEventFactory(
        enterprise=enterprise,
        created_at=datetime(2026, 3, 10, 14, 1, tzinfo=UTC),
        method="POST",
        status=409,
        scim_type="uniqueness",
        detail=DUPLICATE,
        duration_ms=7,
    )
    ProvisioningEventFactory(enterprise=other_enterprise)

    # Read the next day: the activity shown is the retention window's (SCIM_ACTIVITY_RETENTION_DAYS) to now.
    with time_machine.travel(datetime(2026, 3, 11, tzinfo=UTC), tick=False):
        response = admin_session.get(CSV)
        body = b"".join(response.streaming_content).decode()

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="contoso-scim-activity.csv"'
    assert body == (
        '"time","action","summary","target_type","target_id","target_label","method","path",'
        '"resource_type","resource_id","status","outcome","scim_type","detail","duration_ms","user_agent",'
        '"credential"\r\n'
        '"2026-03-10T14:01:00+00:00","","","","","","POST","/Users","User","","409","client_error",'
        '"uniqueness","A user with userName \'x\' already exists.","7","Azure AD SCIM Client",""\r\n'
        '"2026-03-10T14:00:05+00:00","","","","","","GET","/Users","User","","200","success","","","31",'
        '"Azure AD SCIM Client",""\r\n'
    )


def test_the_csv_can_hold_only_the_errors(admin_session, enterprise):
    ProvisioningEventFactory(enterprise=enterprise, status=200)
    ProvisioningEventFactory(enterprise=enterprise, status=500, detail="Boom.")

    lines = _csv(admin_session, CSV + "?kind=errors").splitlines()

    assert len(lines) == 2 and ',"500","server_error","","Boom.",' in lines[1]


@pytest.mark.parametrize(
    "user_agent, cell",
    [
        ('=HYPERLINK("http://evil")', '"\'=HYPERLINK(""http://evil"")"'),
        ("+1", '"\'+1"'),
        ("-2+3", '"\'-2+3"'),
        ("@SUM(1)", '"\'@SUM(1)"'),
        ("\t=1", '"\'\t=1"'),
        ("\r=1", '"\'\r=1"'),
        # One cell to a ";" spreadsheet too: the separators are inside its quotes.
        ("probe;=1+2;@SUM(3)", '"probe;=1+2;@SUM(3)"'),
    ],
)
def test_the_csv_defuses_cells_a_spreadsheet_would_run(admin_session, enterprise, user_agent, cell):
    ProvisioningEventFactory(enterprise=enterprise, status=401, user_agent=user_agent, path="-1")

    row = _csv(admin_session).split("\r\n")[1]
    # The user agent is the last column but one; the credential (none here) follows it.
    assert row.endswith(f',{cell},""')
    assert ',"\'-1",' in row


def test_the_page_gives_times_for_the_browser_to_localise_while_csv_and_api_stay_utc(
    admin_session, enterprise
):
    ProvisioningEventFactory(enterprise=enterprise, created_at=datetime(2026, 3, 10, 9, 30, tzinfo=UTC))

    # Read the next day: the page shows only the days activity is kept.
    with time_machine.travel(datetime(2026, 3, 11, 12, tzinfo=UTC), tick=False):
        row = _rows(admin_session.get(PAGE).text)[0]
        csv_rows = _csv(admin_session).splitlines()
        api = admin_session.get(PAGE + "api/scim/activity/").json()

    # UTC as the fallback; static/js/times.js rewrites it in the viewer's zone (tests/browser).
    assert (
        '<time datetime="2026-03-10T09:30:00Z" title="10 Mar 2026, 09:30 UTC" data-local="datetime">'
        "10 Mar 2026, 09:30 UTC</time>"
    ) in row
    assert csv_rows[1].startswith('"2026-03-10T09:30:00+00:00",')
    assert api["results"][0]["created_at"] == "2026-03-10T09:30:00Z"
