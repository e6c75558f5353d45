"""Replay protection holds across workers: the used assertion ids live in the database, not in a process."""

from collections import Counter
from http import HTTPStatus

import pytest
from django.test import Client

from enterprise.directory.models import MemberSession
from enterprise.sso.models import SamlAssertion
from tests.parallel import in_parallel
from tests.sso.conftest import post_response, provision

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


def test_one_response_posted_at_once_to_several_workers_signs_in_once(scim, sso, entra):
    provision(scim, "ada@contoso.example")
    saml_response = entra.response(sso, "ada@contoso.example")
    statuses = in_parallel(lambda _: post_response(Client(), sso, saml_response).status_code, THREADS)

    assert Counter(statuses) == {HTTPStatus.FOUND: 1, HTTPStatus.FORBIDDEN: THREADS - 1}
    assert SamlAssertion.objects.count() == 1
    assert MemberSession.objects.count() == 1
