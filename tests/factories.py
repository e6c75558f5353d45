import factory
from django.contrib.auth import get_user_model

from enterprise.activity.models import ProvisioningEvent
from enterprise.directory.models import Group, GroupMembership, Member
from enterprise.models import Enterprise


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"person{n}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("correct horse battery staple")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"Enterprise {n}")
    slug = factory.Sequence(lambda n: f"enterprise-{n}")


class MemberFactory(factory.django.DjangoModelFactory):
    """
    A provisioned member, stored from a profile as the SCIM adapter stores one (Member.set_profile fills
    the columns): user_name, display_name, email, external_id and active go into the profile.
    """

    class Meta:
        model = Member

    enterprise = factory.SubFactory(EnterpriseFactory)
    user_name = factory.Sequence(lambda n: f"user{n}@contoso.example")
    display_name = factory.Sequence(lambda n: f"User {n}")
    email = factory.SelfAttribute("user_name")
    external_id = None
    active = True
    profile = factory.LazyAttribute(
        lambda m: {
            "userName": m.user_name,
            "displayName": m.display_name,
            "active": m.active,
            "emails": [{"value": m.email, "type": "work", "primary": True}],
            **({"externalId": m.external_id} if m.external_id is not None else {}),
        }
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        member = model_class(*args, **kwargs)
        member.set_profile(member.profile)
        member.save()
        return member


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    enterprise = factory.SubFactory(EnterpriseFactory)
    display_name = factory.Sequence(lambda n: f"Group {n}")


class GroupMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMembership

    group = factory.SubFactory(GroupFactory)
    member = factory.SubFactory(MemberFactory, enterprise=factory.SelfAttribute("..group.enterprise"))


class ProvisioningEventFactory(factory.django.DjangoModelFactory):
    """A SCIM request as scim.pipeline records it; a successful user lookup unless told otherwise."""

    class Meta:
        model = ProvisioningEvent

    enterprise = factory.SubFactory(EnterpriseFactory)
    method = "GET"
    path = "/Users"
    resource_type = "User"
    status = 200
    duration_ms = 12
    user_agent = "Azure AD SCIM Client"
