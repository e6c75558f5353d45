"""
The activity's period, as Entra's own provisioning logs have it: the Enterprise page's table, its CSV and the
API show the last 7 days unless the admin picks the last 24 hours, 30 or 90 days (one member's history: all
90 days), and the pager counts at most 10,000 requests before it says "many".
"""

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import time_machine

from enterprise.activity.models import ProvisioningEvent
from enterprise.models import Profile
from tests.factories import ProvisioningEventFactory

pytestmark = pytest.mark.django_db

PAGE = "/enterprise/contoso/"
CSV = "/enterprise/contoso/scim/activity.csv"
API = "/enterprise/contoso/api/scim/activity/"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
# How old each row is, by the detail it carries: one inside and one just outside each period.
AGES = {
    "23 hours": timedelta(hours=23),
    "25 hours": timedelta(hours=25),
    "6 days": timedelta(days=6, hours=23),
    "8 days": timedelta(days=7, hours=1),
    "29 days": timedelta(days=29, hours=23),
    "31 days": timedelta(days=30, hours=1),
    "89 days": timedelta(days=89, hours=23),
    "91 days": timedelta(days=90, hours=1),
}


@pytest.fixture
def aged(enterprise, other_enterprise):
    for detail, age in AGES.items():
        ProvisioningEventFactory(enterprise=enterprise, created_at=NOW - age, status=400, detail=detail)
    ProvisioningEventFactory(enterprise=other_enterprise, created_at=NOW - timedelta(hours=1), detail="Other")


def _details(text: str) -> list[str]:
    tbody = re.search(r'<table class="activity stacking">.*?<tbody>(.*?)</tbody>', text, re.S)
    return [d for d in AGES if tbody and f">{d}<" in tbody[1]]


PERIODS = [
    ({}, ["23 hours", "25 hours", "6 days"]),
    ({"period": "24h"}, ["23 hours"]),
    ({"period": "7d"}, ["23 hours", "25 hours", "6 days"]),
    ({"period": "30d"}, ["23 hours", "25 hours", "6 days", "8 days", "29 days"]),
    ({"period": "90d"}, ["23 hours", "25 hours", "6 days", "8 days", "29 days", "31 days", "89 days"]),
    # Not a period: the default.
    ({"period": "1y"}, ["23 hours", "25 hours", "6 days"]),
]


@pytest.mark.parametrize("params,shown", PERIODS)
def test_the_page_shows_the_requests_of_the_period_chosen(admin_session, aged, params, shown):
    with time_machine.travel(NOW, tick=False):
        response = admin_session.get(PAGE, {"kind": "errors", **params})

    assert response.status_code == HTTPStatus.OK
    assert _details(response.text) == shown
    assert (f"{len(shown)} requests." if len(shown) > 1 else "1 request.") in response.text


@pytest.mark.parametrize("params,shown", PERIODS)
def test_the_csv_follows_the_period(admin_session, aged, params, shown):
    with time_machine.travel(NOW, tick=False):
        response = admin_session.get(CSV, params)
        body = b"".join(response.streaming_content).decode()

    assert response.status_code == HTTPStatus.OK
    assert [line.split('","')[13] for line in body.splitlines()[1:]] == shown


@pytest.mark.parametrize("params,shown", PERIODS)
def test_the_api_follows_the_period(admin_session, aged, params, shown):
    with time_machine.travel(NOW, tick=False):
        body = admin_session.get(API, params).json()

    assert body["count"] == len(shown)
    assert [event["detail"] for event in body["results"]] == shown


def test_the_period_is_a_select_that_keeps_the_filter(admin_session, aged):
    with time_machine.travel(NOW, tick=False):
        text = admin_session.get(PAGE, {"kind": "errors", "period": "30d"}).text

    form = re.search(r'<form class="activity-period".*?</form>', text, re.S)[0]
    assert '<input type="hidden" name="kind" value="errors">' in form
    assert re.findall(r'<option value="(\w+)"( selected)?>([^<]+)</option>', form) == [
        ("24h", "", "Last 24 hours"),
        ("7d", "", "Last 7 days"),
        ("30d", " selected", "Last 30 days"),
        ("90d", "", "Last 90 days"),
    ]
    # The other filters keep the period chosen.
    assert 'href="/enterprise/contoso/?kind=changes&amp;period=30d#activity"' in text
    assert 'href="/enterprise/contoso/scim/activity.csv?kind=errors&amp;period=30d">' in text


def test_a_period_without_requests_says_so(admin_session, enterprise):
    ProvisioningEventFactory(enterprise=enterprise, created_at=NOW - timedelta(days=20))

    with time_machine.travel(NOW, tick=False):
        week = admin_session.get(PAGE).text
        month = admin_session.get(PAGE, {"period": "30d"}).text

    assert "No requests in this period." in week and _details(week) == []
    assert "No requests in this period." not in month and "1 request." in month


def test_one_members_history_is_all_the_days_kept_unless_a_period_is_chosen(admin_session, enterprise):
    for age in (timedelta(hours=2), timedelta(days=40), timedelta(days=91)):
        ProvisioningEventFactory(
            enterprise=enterprise, created_at=NOW - age, target_id="m-1", detail=str(age)
        )
    ProvisioningEventFactory(enterprise=enterprise, created_at=NOW, target_id="m-2", detail="someone else")

    with time_machine.travel(NOW, tick=False):
        history = admin_session.get(API, {"target": "m-1"}).json()
        week = admin_session.get(API, {"target": "m-1", "period": "7d"}).json()
        page = admin_session.get(PAGE, {"target": "m-1"}).text

    assert [e["detail"] for e in history["results"]] == ["2:00:00", "40 days, 0:00:00"]
    assert [e["detail"] for e in week["results"]] == ["2:00:00"]
    assert '<option value="90d" selected>Last 90 days</option>' in page


def _fill(enterprise, n: int) -> None:
    ProvisioningEvent.objects.bulk_create(
        ProvisioningEvent(
            enterprise=enterprise,
            created_at=NOW - timedelta(seconds=i + 1),
            method="GET",
            path="/Users",
            status=200,
            detail=f"Request {i}.",
        )
        for i in range(n)
    )


def test_the_pager_stops_counting_at_ten_thousand_and_says_so_in_words(admin_session, enterprise):
    _fill(enterprise, 10_025)

    with time_machine.travel(NOW, tick=False):
        first = admin_session.get(PAGE).text
        deep = admin_session.get(PAGE, {"page": "501"}).text
        last = admin_session.get(PAGE, {"page": "502"}).text
        api = admin_session.get(API).json()
        api_deep = admin_session.get(API, {"page": "201"}).json()

    assert "More than 10,000 requests." in first and "Page 1 of many" in first
    assert 'href="/enterprise/contoso/?page=2#activity" rel="next">Next →</a>' in first
    # Past the cap the pager counts as far as the page asked for, so next keeps leading on till the end.
    assert "Request 10000." in deep and "Page 501 of many" in deep and 'rel="next"' in deep
    assert "Request 10024." in last and "Page 502 of 502" in last and 'rel="next"' not in last
    assert "10,025 requests." in last
    assert api["count"] == 10_001 and api["next"] == "http://testserver" + API + "?page=2"
    assert api_deep["count"] == 10_025 and api_deep["next"] is None
    assert api_deep["results"][-1]["detail"] == "Request 10024."


def test_the_pager_counts_exactly_up_to_ten_thousand(admin_session, enterprise):
    _fill(enterprise, 10_000)

    with time_machine.travel(NOW, tick=False):
        text = admin_session.get(PAGE).text

    assert "10,000 requests." in text and "Page 1 of 500" in text


@pytest.mark.parametrize("page", ["x", "0", "-3", "99999999999999999999"])
def test_a_made_up_page_number_never_fails(admin_session, enterprise, page):
    _fill(enterprise, 3)

    with time_machine.travel(NOW, tick=False):
        response = admin_session.get(PAGE, {"page": page})

    assert response.status_code == HTTPStatus.OK
    assert "3 requests." in response.text


def test_the_period_and_the_count_are_in_danish_for_a_danish_admin(admin_session, admin_user, enterprise):
    Profile.objects.create(user=admin_user, language="da")
    _fill(enterprise, 10_001)

    with time_machine.travel(NOW, tick=False):
        text = admin_session.get(PAGE).text

    assert '<label for="activity-period">Periode</label>' in text
    assert '<option value="7d" selected>Seneste 7 dage</option>' in text
    assert "Mere end 10.000 forespørgsler." in text and "Side 1 af mange" in text
