"""
The members page at a size: seeds an enterprise with N members (one change each in the activity, a tenth
deactivated, a group for every thousand), then times the page as an admin sees it, in each sort order, on a
deep page and with a search, through the Django test client (middleware and templates included), and counts
its SQL statements. Run against a database of its own:

    DATABASE_URL=postgres://…/plandisc_bench python -m bench.members_page --members 100000
"""

import argparse
import os
import secrets
import statistics
import time
import uuid
from datetime import timedelta

import django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plandisc.settings")
    # As production runs it: DEBUG off, so templates are compiled once (the cached loader). A throwaway key.
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings
    from django.utils import timezone

    from enterprise.activity.models import ProvisioningEvent
    from enterprise.directory.models import Group, GroupMembership, Member
    from enterprise.models import Enterprise
    from enterprise.services import enterprise_create

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    slug = f"bench-members-{args.members}"
    enterprise = Enterprise.objects.filter(slug=slug).first()
    if enterprise is None:
        admin = get_user_model().objects.create_user(f"admin@{slug}.example", password=uuid.uuid4().hex)
        enterprise = enterprise_create(slug=slug, name="Bench", admin=admin)
        _seed(
            enterprise, args.members, Member, Group, GroupMembership, ProvisioningEvent, timezone, timedelta
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # The hashed names of collectstatic's manifest are not what is measured here.
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static):
        _measure(args, enterprise)


def _measure(args, enterprise) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    slug = enterprise.slug
    admin = enterprise.admins.first()
    client = Client()
    client.force_login(admin)
    pages = {
        "by name, page 1": {},
        "by state, page 1": {"sort": "state"},
        "by last change, page 1": {"sort": "changed"},
        "by name, page 1000": {"page": "1000"},
        "search 'person 4711'": {"q": "person 4711"},
        "search by email 'p99999@'": {"q": "p99999@"},
    }
    url = f"/enterprise/{slug}/members/"
    print(f"{args.members} members, {connection.vendor}; median of {args.runs} runs")
    for name, params in pages.items():
        client.get(url, params, secure=True)  # warm
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params, secure=True)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200
        print(f"  {name:28} {statistics.median(times) * 1000:7.1f} ms  {len(captured)} queries")


def _seed(enterprise, n, Member, Group, GroupMembership, ProvisioningEvent, timezone, timedelta) -> None:
    now = timezone.now()
    groups = Group.objects.bulk_create(
        Group(enterprise=enterprise, display_name=f"Group {g:04}") for g in range(max(n // 1000, 1))
    )
    batch = 5000
    for start in range(0, n, batch):
        members = []
        for i in range(start, min(start + batch, n)):
            name = f"p{i:05}@contoso.example"
            member = Member(enterprise=enterprise, active=i % 10 != 0, updated_at=now - timedelta(minutes=i))
            member.set_profile(
                {
                    "userName": name,
                    "displayName": f"Person {i}",
                    "active": i % 10 != 0,
                    "emails": [{"value": name, "type": "work", "primary": True}],
                    "title": "Engineer",
                }
            )
            members.append(member)
        created = Member.objects.bulk_create(members)
        GroupMembership.objects.bulk_create(
            GroupMembership(group=groups[(start + k) // 1000 % len(groups)], member=m)
            for k, m in enumerate(created)
        )
        ProvisioningEvent.objects.bulk_create(
            ProvisioningEvent(
                enterprise=enterprise,
                created_at=m.updated_at,
                method="PATCH",
                path=f"/Users/{m.scim_id}",
                resource_type="User",
                resource_id=str(m.scim_id),
                status=200,
                user_agent="Azure-AD-SCIM-Client",
                action="updated",
                summary=f"Updated {m.user_name}: title",
                target_type="User",
                target_id=str(m.scim_id),
                target_label=m.user_name,
                facts={"changed": ["title"]},
            )
            for m in created
        )


if __name__ == "__main__":
    main()
