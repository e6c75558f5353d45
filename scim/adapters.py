"""
django-scim2 adapters: SCIM Users are enterprise Members, SCIM Groups are enterprise Groups.

Reads serialize the stored document plus what the server owns (id, meta, groups, manager). Writes go
through scim/documents.py (checking, PATCH), then onto the model and through enterprise.services.
Group membership changes are set-based SQL: adding one member to a 50,000-member group inserts one row
and never loads the group's members.
"""

import copy
import uuid
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.urls import get_script_prefix
from django.utils import timezone
from django_scim.adapters import SCIMGroup, SCIMUser

from enterprise import services
from enterprise.models import Group, GroupMembership, Member
from scim import documents
from scim.errors import ScimError, bad_request
from scim.filters import MembershipFilter
from scim.schemas import ENTERPRISE_USER, GROUP, GROUP_SCHEMA, USER, USER_SCHEMA
from scim.tenancy import base_location


def get_member_model() -> type[Member]:
    """django-scim2's USER_MODEL_GETTER: the SCIM User resource is a Member, not a login account."""
    return Member


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def resource_location(path: str) -> str:
    """Absolute URL of `path` in the SCIM endpoint being served (under scim.tenancy's script prefix)."""
    return f"{base_location()}{get_script_prefix()}{path}"


class ResourceAdapter:
    """What Users and Groups share: id, meta, ETag, and writing the model with uniqueness errors."""

    id_field = "scim_id"
    resource_type = ""
    # The case-insensitively unique name: model field and SCIM attribute.
    unique_name: tuple[str, str] = ("", "")

    @property
    def location(self) -> str:
        return resource_location(f"{self.resource_type}s/{self.obj.scim_id}")

    @property
    def etag(self) -> str:
        return f'W/"{self.obj.version}"'

    def meta(self) -> dict:
        return {
            "resourceType": self.resource_type,
            "created": timestamp(self.obj.created_at),
            "lastModified": timestamp(self.obj.updated_at),
            "location": self.location,
            "version": self.etag,
        }

    def touch(self) -> None:
        self.obj.updated_at = timezone.now()
        if self.obj.pk is not None:
            self.obj.version += 1

    def check_lengths(self, fields: list[str]) -> None:
        for field in fields:
            value = getattr(self.obj, field) or ""
            limit = self.obj._meta.get_field(field).max_length
            if len(value) > limit:
                raise bad_request(f"'{field}' is longer than {limit} characters.")

    def conflict(self) -> ScimError:
        """The 409 for an IntegrityError on save: the resource's name is taken. (externalId is the identity
        provider's to keep unique, RFC 7643 §3.1, so it never conflicts.)"""
        obj, (field, attribute) = self.obj, self.unique_name
        detail = f"A {self.resource_type.lower()} with {attribute} '{getattr(obj, field)}' already exists."
        return ScimError(409, detail, "uniqueness")


class MemberAdapter(ResourceAdapter, SCIMUser):
    resource_type = "User"
    url_name = "scim:users"
    unique_name = ("user_name", "userName")
    COLUMNS = [
        "user_name",
        "external_id",
        "display_name",
        "given_name",
        "family_name",
        "formatted_name",
        "email",
        "email_type",
        "title",
        "preferred_language",
        "employee_number",
        "department",
    ]

    def __init__(self, obj: Member, request=None):
        super().__init__(obj, request=request)
        self.document: dict | None = None
        self.created = False  # save() inserted the row: it has no groups yet

    def to_dict(self, include_groups: bool = True) -> dict:
        member = self.obj
        profile = copy.deepcopy(member.profile)
        extension = profile.pop(ENTERPRISE_USER, {})
        if member.manager_id:
            manager = member.manager
            # No server-made `displayName` here or in group members: RFC 7643 makes them optional, and
            # scim2-tester wants what a PATCH wrote to read back unchanged.
            extension["manager"] = {
                "value": str(manager.scim_id),
                "$ref": resource_location(f"Users/{manager.scim_id}"),
            }
        resource = {"schemas": [USER, ENTERPRISE_USER] if extension else [USER], "id": str(member.scim_id)}
        resource.update(profile)
        if "active" in profile:
            # Only when assigned: `remove active` leaves it unassigned (RFC 7644 §3.5.2.2), meaning active.
            resource["active"] = member.active
        if extension:
            resource[ENTERPRISE_USER] = extension
        if include_groups and not self.created:
            groups = [
                {
                    "value": str(g.scim_id),
                    "$ref": resource_location(f"Groups/{g.scim_id}"),
                    "display": g.display_name,
                    "type": "direct",
                }
                for g in member.groups.all()
            ]
            if groups:
                resource["groups"] = groups
        resource["meta"] = self.meta()
        return resource

    def from_dict(self, d: dict) -> None:
        """A full body (POST or PUT): it replaces everything the identity provider manages."""
        self.document = documents.normalize(_manager_as_object(d), USER_SCHEMA)

    def handle_operations(self, operations: list[documents.Operation]) -> None:
        current = self.obj.profile
        if self.obj.manager_id:
            current = copy.deepcopy(current)
            current.setdefault(ENTERPRISE_USER, {})["manager"] = {"value": str(self.obj.manager.scim_id)}
        patched = copy.deepcopy(current)
        for operation in operations:
            documents.apply_operation(patched, operation, USER_SCHEMA)
        self.document = documents.normalize(_manager_as_object(patched), USER_SCHEMA)

    def save(self) -> None:
        member, document = self.obj, self.document
        self.created = member.pk is None
        extension = document.get(ENTERPRISE_USER, {})
        manager = extension.pop("manager", None)
        if not extension:
            document.pop(ENTERPRISE_USER, None)
        name = document.get("name", {})
        email = _work_email(document.get("emails", []))
        member.enterprise = self.request.scim_enterprise
        member.profile = document
        member.user_name = document["userName"]
        member.external_id = document.get("externalId")
        member.display_name = document.get("displayName", "")
        member.given_name = name.get("givenName", "")
        member.family_name = name.get("familyName", "")
        member.formatted_name = name.get("formatted", "")
        member.email = email.get("value", "")
        member.email_type = email.get("type", "")
        member.title = document.get("title", "")
        member.preferred_language = document.get("preferredLanguage", "")
        member.employee_number = extension.get("employeeNumber", "")
        member.department = extension.get("department", "")
        member.active = document.get("active", True)
        member.manager = self._manager(manager)
        self.check_lengths(self.COLUMNS)
        self.touch()
        try:
            # member_save is atomic: inside the request's transaction it is the savepoint that a uniqueness
            # error rolls back, which leaves the transaction usable for conflict()'s query.
            services.member_save(member=member)
        except IntegrityError:
            raise self.conflict() from None

    def _manager(self, reference: dict | None) -> Member | None:
        value = (reference or {}).get("value")
        if not value:
            return None
        try:
            manager_id = uuid.UUID(str(value))
        except ValueError:
            manager_id = None
        manager = Member.objects.filter(enterprise=self.request.scim_enterprise, scim_id=manager_id).first()
        if manager is None or manager_id == self.obj.scim_id:
            raise bad_request(f"The manager '{value}' is not another user of this enterprise.")
        return manager

    def delete(self) -> None:
        services.member_delete(member=self.obj)


def _manager_as_object(document: dict) -> dict:
    """Entra sends the enterprise manager as an id string, an object or a one-element list; "" removes it."""
    for key, extension in document.items():
        if key.lower() != ENTERPRISE_USER.lower() or not isinstance(extension, dict):
            continue
        for name in [k for k in extension if k.lower() == "manager"]:
            value = extension[name]
            if isinstance(value, list):
                value = value[0] if value else None
            if isinstance(value, str):
                value = {"value": value}
            if isinstance(value, dict) and not value.get("value"):
                value = None
            extension[name] = value
    return document


def _work_email(emails: list[dict]) -> dict:
    """The email that sign-in and `emails[type eq "work"]` filters use: the work one, else the primary."""
    for wanted in (lambda e: str(e.get("type", "")).lower() == "work", lambda e: e.get("primary") is True):
        found = next((e for e in emails if wanted(e)), None)
        if found:
            return found
    return emails[0] if emails else {}


class GroupAdapter(ResourceAdapter, SCIMGroup):
    resource_type = "Group"
    url_name = "scim:groups"
    unique_name = ("display_name", "displayName")

    def __init__(self, obj: Group, request=None):
        super().__init__(obj, request=request)
        self.document: dict | None = None
        self.member_operations: list[documents.Operation] = []
        self.created = False  # save() inserted the row: it has no members to replace

    def to_dict(self, include_members: bool = True) -> dict:
        group = self.obj
        resource = {"schemas": [GROUP], "id": str(group.scim_id), "displayName": group.display_name}
        if group.external_id:
            resource["externalId"] = group.external_id
        if include_members:
            users = resource_location("Users/")
            rows = group.memberships.order_by("id").values_list("member__scim_id", flat=True)
            resource["members"] = [
                {"value": str(id_), "$ref": users + str(id_), "type": "User"}
                for id_ in rows.iterator(chunk_size=5000)
            ]
        resource["meta"] = self.meta()
        return resource

    def from_dict(self, d: dict) -> None:
        document = documents.normalize(d, GROUP_SCHEMA)
        members = document.pop("members", [])
        self.document = document
        self.member_operations = [documents.Operation("replace", "members", members)]

    def handle_operations(self, operations: list[documents.Operation]) -> None:
        document = {"displayName": self.obj.display_name}
        if self.obj.external_id:
            document["externalId"] = self.obj.external_id
        for operation in operations:
            for split in _split_members(operation):
                if _targets_members(split):
                    self.member_operations.append(split)
                else:
                    documents.apply_operation(document, split, GROUP_SCHEMA)
        self.document = documents.normalize(document, GROUP_SCHEMA)

    def save(self) -> None:
        group, document = self.obj, self.document
        self.created = group.pk is None
        renamed = self.created or (group.display_name, group.external_id) != (
            document["displayName"],
            document.get("externalId"),
        )
        group.enterprise = self.request.scim_enterprise
        group.display_name = document["displayName"]
        group.external_id = document.get("externalId")
        self.check_lengths(["display_name", "external_id"])
        self.touch()
        if renamed:
            try:
                with transaction.atomic():
                    group.save()
            except IntegrityError:
                raise self.conflict() from None
        else:
            # Only members change (Entra's group PATCHes): no unique column is written, so no savepoint.
            group.save(update_fields=["updated_at", "version"])
        for operation in self.member_operations:
            self._apply_members(operation)

    def _apply_members(self, operation: documents.Operation) -> None:
        group, value = self.obj, operation.value
        memberships = GroupMembership.objects.filter(group=group)
        path = documents.PATH.match(operation.path or "members")
        if path["sub"]:
            raise bad_request(f"The path '{operation.path}' cannot be changed; use 'members'.", "invalidPath")
        if operation.op == "remove":
            if path["filter"]:
                memberships.filter(MembershipFilter.to_q(path["filter"])).delete()
            elif value:
                # Entra's default dialect: remove the listed members only. Ids no longer known are ignored.
                memberships.filter(member__in=self._members(value, strict=False)).delete()
            else:
                memberships.delete()
            return
        if path["filter"]:
            raise bad_request("Add members with path 'members' and a value list.", "invalidPath")
        members = self._members(value, strict=True)
        if operation.op == "replace" and not self.created:
            memberships.exclude(member__in=members).delete()
        GroupMembership.objects.bulk_create(
            [GroupMembership(group=group, member_id=pk) for pk in members],
            ignore_conflicts=True,
            batch_size=1000,
        )

    def _members(self, value, strict: bool) -> list[int]:
        """Primary keys of the members a value list names; with `strict`, every one must be ours."""
        items = value if isinstance(value, list) else [value]
        ids = {}
        for item in items:
            raw = item.get("value") if isinstance(item, dict) else None
            if not isinstance(raw, str):
                raise bad_request("Each member must be an object with a string 'value' (a user id).")
            try:
                ids[uuid.UUID(raw)] = raw
            except ValueError:
                if strict:
                    raise bad_request(f"The member '{raw[:100]}' is not a user of this enterprise.") from None
        found = dict(
            Member.objects.filter(enterprise=self.request.scim_enterprise, scim_id__in=list(ids)).values_list(
                "scim_id", "pk"
            )
        )
        missing = [raw for key, raw in ids.items() if key not in found]
        if strict and missing:
            raise bad_request(f"These members are not users of this enterprise: {', '.join(missing[:20])}.")
        return list(found.values())

    def delete(self) -> None:
        self.obj.delete()


def _targets_members(operation: documents.Operation) -> bool:
    path = documents.PATH.match(operation.path or "")
    return bool(path) and path["attr"].lower() == "members"


def _split_members(operation: documents.Operation) -> list[documents.Operation]:
    """A path-less operation whose value carries `members` becomes a members operation plus the rest."""
    if operation.path or not isinstance(operation.value, dict):
        return [operation]
    rest = {k: v for k, v in operation.value.items() if k.lower() != "members"}
    split = [
        documents.Operation(operation.op, "members", v)
        for k, v in operation.value.items()
        if k.lower() == "members"
    ]
    return split + ([documents.Operation(operation.op, None, rest)] if rest else [])
