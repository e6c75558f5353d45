"""Uniqueness lives in the database, on SQLite and PostgreSQL alike."""

import pytest
from django.db import IntegrityError, transaction

from enterprise.directory.models import GroupMembership
from tests.factories import EnterpriseFactory, GroupFactory, GroupMembershipFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _rejected(factory, **fields) -> bool:
    try:
        with transaction.atomic():
            factory(**fields)
    except IntegrityError:
        return True
    return False


def test_the_database_rejects_a_username_that_differs_only_in_case():
    enterprise = EnterpriseFactory()
    MemberFactory(enterprise=enterprise, user_name="Alex.Wilber@contoso.com")
    assert _rejected(MemberFactory, enterprise=enterprise, user_name="alex.wilber@CONTOSO.com")


def test_the_same_username_is_allowed_in_two_enterprises():
    MemberFactory(enterprise=EnterpriseFactory(), user_name="alex@contoso.com")
    assert not _rejected(MemberFactory, enterprise=EnterpriseFactory(), user_name="alex@contoso.com")


def test_the_database_leaves_external_id_uniqueness_to_the_identity_provider():
    # RFC 7643 §3.1: the service provider does not enforce externalId's uniqueness.
    enterprise = EnterpriseFactory()
    MemberFactory(enterprise=enterprise, external_id="e-1")
    assert not _rejected(MemberFactory, enterprise=enterprise, external_id="e-1")
    MemberFactory(enterprise=enterprise, external_id=None)
    assert not _rejected(MemberFactory, enterprise=enterprise, external_id=None)


def test_the_database_rejects_a_group_name_that_differs_only_in_case():
    enterprise = EnterpriseFactory()
    GroupFactory(enterprise=enterprise, display_name="Sales Team")
    assert _rejected(GroupFactory, enterprise=enterprise, display_name="SALES team")
    assert not _rejected(GroupFactory, enterprise=EnterpriseFactory(), display_name="Sales Team")


def test_the_database_allows_a_shared_group_external_id():
    enterprise = EnterpriseFactory()
    GroupFactory(enterprise=enterprise, external_id="g-1")
    assert not _rejected(GroupFactory, enterprise=enterprise, external_id="g-1")


def test_a_member_is_in_a_group_at_most_once():
    membership = GroupMembershipFactory()
    assert _rejected(GroupMembership.objects.create, group=membership.group, member=membership.member)
