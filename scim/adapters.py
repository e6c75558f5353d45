"""
SCIM Users are enterprise Members, SCIM Groups are enterprise Groups: resource bodies to and from the domain.

Reads serialize the stored document plus what the server owns (id, meta, groups, manager). Writes go through
scim/documents.py (checking, PATCH), then through the directory's services (enterprise.directory, and
enterprise.roles for the writes that can change someone's role), which map a profile onto the columns and own
every rule. Group membership changes are set-based SQL: adding one member to a 50,000-member group inserts
one row and never loads the group's members.
"""

import uuid
from datetime import UTC, datetime

import orjson
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q, prefetch_related_objects

from enterprise.directory.models import Group, Member
from enterprise.directory.services import group_save
from enterprise.roles.services import (
    SeatsExhausted,
    group_delete,
    group_members_add,
    group_members_remove,
    member_create,
    member_delete,
    member_update,
)
from scim import documents
from scim.activity import Action
from scim.auth import Call
from scim.errors import ScimError, bad_request
from scim.filters import MembershipFilter
from scim.schemas import ENTERPRISE_USER, GROUP, GROUP_SCHEMA, USER, USER_SCHEMA


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ResourceAdapter:
    """What Users and Groups share: id, meta, ETag, and the answers to a refused write."""

    endpoint = ""
    resource_type = ""
    # The case-insensitively unique name's SCIM attribute and model field.
    unique_name: tuple[str, str] = ("", "")

    def __init__(self, obj, call: Call):
        self.obj, self.call = obj, call
        self.document: dict | None = None
        # save() inserted the row: it has no relations (a member's groups, a group's members) to read back.
        self.created = False

    @property
    def location(self) -> str:
        return self.call.location(f"{self.endpoint}/{self.obj.scim_id}")

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

    def refused(self, error: Exception) -> ScimError:
        """
        The SCIM error for what a service refused: a value (ValidationError) or a taken name
        (IntegrityError: no query can ask which, since the failed statement aborted the transaction, but only
        the name is unique; externalId is the identity provider's to keep unique, RFC 7643 §3.1).
        """
        if isinstance(error, ValidationError):
            return bad_request(error.messages[0])
        if isinstance(error, SeatsExhausted):
            # Entra shows the detail in its provisioning log; RFC 7644 has no scimType for 403.
            return ScimError(403, str(error))
        attribute, field = self.unique_name
        value = self.document.get(attribute) if self.document else getattr(self.obj, field)
        detail = f"A {self.resource_type.lower()} with {attribute} '{value}' already exists."
        return ScimError(409, detail, "uniqueness")


class MemberAdapter(ResourceAdapter):
    endpoint = "Users"
    resource_type = "User"
    unique_name = ("userName", "user_name")

    @staticmethod
    def for_listing(queryset, with_related: bool):
        queryset = queryset.select_related("manager")
        return queryset.prefetch_related("groups") if with_related else queryset

    @staticmethod
    def load_related(members: list[Member], with_related: bool) -> None:
        """What for_listing adds to a queryset, for members already loaded."""
        if members:
            prefetch_related_objects(members, "manager", *(["groups"] if with_related else []))

    def to_dict(self, include_groups: bool = True) -> dict:
        member = self.obj
        # Copies of the two levels this changes; nothing below them is changed, so nothing else is copied.
        profile = dict(member.profile)
        extension = dict(profile.pop(ENTERPRISE_USER, {}))
        if member.manager_id:
            manager = member.manager
            # No server-made `displayName` here or in group members: RFC 7643 makes them optional, and
            # scim2-tester wants what a PATCH wrote to read back unchanged.
            extension["manager"] = {
                "value": str(manager.scim_id),
                "$ref": self.call.location(f"Users/{manager.scim_id}"),
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
                    "$ref": self.call.location(f"Groups/{g.scim_id}"),
                    "display": g.display_name,
                    "type": "direct",
                }
                for g in self._groups()
            ]
            if groups:
                resource["groups"] = groups
        resource["meta"] = self.meta()
        return resource

    def _groups(self):
        """The member's groups: prefetched for a page of members, else read in one written-out statement."""
        if "groups" in getattr(self.obj, "_prefetched_objects_cache", {}):
            return self.obj.groups.all()
        return Group.objects.of_member(self.obj)

    def from_dict(self, d: dict) -> None:
        """A full body (POST or PUT): it replaces everything the identity provider manages."""
        self.document = documents.normalize(_roles_as_objects(_manager_as_object(d)), USER_SCHEMA)

    def handle_operations(self, operations: list[documents.Operation]) -> None:
        # A deep copy of the profile (JSON data), cheaper through orjson than copy.deepcopy.
        patched = orjson.loads(orjson.dumps(self.obj.profile))
        if self.obj.manager_id:
            patched.setdefault(ENTERPRISE_USER, {})["manager"] = {"value": str(self.obj.manager.scim_id)}
        for operation in operations:
            documents.apply_operation(patched, operation, USER_SCHEMA)
        self.document = documents.normalize(_roles_as_objects(_manager_as_object(patched)), USER_SCHEMA)

    def save(self) -> None:
        profile = dict(self.document)
        extension = dict(profile.pop(ENTERPRISE_USER, {}))
        manager = self._manager(extension.pop("manager", None))
        if extension:
            profile[ENTERPRISE_USER] = extension
        self.created = self.obj.pk is None
        before, was_active, manager_before = self.obj.profile, self.obj.active, self.obj.manager_id
        roles_said = []
        revived = False
        try:
            if self.created:
                self.obj, revived = member_create(
                    enterprise=self.call.enterprise, profile=profile, manager=manager
                )
            else:
                roles_said = member_update(member=self.obj, profile=profile, manager=manager)
        except (ValidationError, IntegrityError, SeatsExhausted) as error:
            raise self.refused(error) from None
        member = self.obj
        self.call.note.target("User", member.scim_id, member.user_name)
        if revived:
            # The recently deleted member came back, with their groups: those are read back.
            self.created = False
            self.call.note.says(
                Action.CREATED,
                f"Created member {member.user_name} again: brought back the deleted record",
                again=True,
            )
            return
        if self.created:
            self.call.note.says(Action.CREATED, f"Created member {member.user_name}")
            return
        changed = [n for n in documents.changed_attributes(before, profile) if n != "active"]
        if manager_before != member.manager_id:
            changed.append("manager")
        roles = "".join(f"; {sentence}" for sentence in roles_said)
        facts = {"changed": changed, "roles": roles_said} if roles_said else {"changed": changed}
        if was_active != member.active:
            action = Action.REACTIVATED if member.active else Action.DEACTIVATED
            also = f"; updated {', '.join(changed)}" if changed else ""
            self.call.note.says(action, f"{action.label} {member.user_name}{also}{roles}", **facts)
        else:
            self.call.note.says(
                Action.UPDATED,
                f"Updated {member.user_name}: {', '.join(changed) or 'no changes'}{roles}",
                **facts,
            )

    def _manager(self, reference: dict | None) -> Member | None:
        value = (reference or {}).get("value")
        if not value:
            return None
        try:
            manager_id = uuid.UUID(str(value))
        except ValueError:
            manager_id = None
        manager = Member.objects.filter(enterprise=self.call.enterprise, scim_id=manager_id).first()
        if manager is None:
            raise bad_request(f"The manager '{value}' is not another user of this enterprise.")
        return manager

    def delete(self) -> None:
        member_delete(member=self.obj, deleted_by=self.call.credential.label)
        self.call.note.says(Action.DELETED, f"Deleted member {self.obj.user_name}")


def _roles_as_objects(document: dict) -> dict:
    """
    Entra's PATCH adds an app role as a JSON string inside `value` ({"value": "{\"id\": …, \"value\":
    \"Editor\", \"displayName\": \"Editor\"}"}), where its POST sends {"value": "Editor", "primary": true,
    "type": "WindowsAzureActiveDirectoryRole"}: store every role in the second shape.
    """
    for name in [key for key in document if key.lower() == "roles"]:
        roles = document[name] if isinstance(document[name], list) else [document[name]]
        for index, role in enumerate(roles):
            value = role.get("value") if isinstance(role, dict) else None
            if isinstance(value, str) and value.lstrip().startswith("{"):
                try:
                    inner = orjson.loads(value)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(inner, dict):
                    unwrapped = {"value": inner.get("value"), "display": inner.get("displayName")}
                    roles[index] = {k: v for k, v in {**role, **unwrapped}.items() if v is not None}
        document[name] = roles
    return document


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


class GroupAdapter(ResourceAdapter):
    endpoint = "Groups"
    resource_type = "Group"
    unique_name = ("displayName", "display_name")

    def __init__(self, obj: Group, call: Call):
        super().__init__(obj, call)
        self.member_operations: list[documents.Operation] = []
        self.empty = False  # known to have no members (created without any): nothing to read back
        self.named = ""  # the userName of the one member a members operation named, for activity
        # How many members the operations added and removed, and whom when it was one named member.
        self.added = self.removed = 0
        self.one_named = ""

    @staticmethod
    def for_listing(queryset, with_related: bool):
        return queryset

    @staticmethod
    def load_related(groups: list[Group], with_related: bool) -> None:
        """Members are read while rendering, in chunks, never loaded."""

    def to_dict(self, include_members: bool = True) -> dict:
        group = self.obj
        resource = {"schemas": [GROUP], "id": str(group.scim_id), "displayName": group.display_name}
        if group.external_id:
            resource["externalId"] = group.external_id
        if include_members and self.empty:
            resource["members"] = []
        elif include_members:
            users = self.call.location("Users/")
            # Recently deleted members keep their memberships (a restore brings them back) but are not shown.
            # Each member's display (RFC 7643 §4.2: Microsoft's reference collection expects it) comes in the
            # same join as their id: one statement however many members.
            rows = (
                group.memberships.filter(member__deleted_at__isnull=True)
                .order_by("id")
                .values_list("member__scim_id", "member__display_name", "member__user_name")
            )
            resource["members"] = [
                {"value": str(id_), "$ref": users + str(id_), "type": "User", "display": shown or user_name}
                for id_, shown, user_name in rows.iterator(chunk_size=5000)
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
        group = self.obj
        self.created = group.pk is None
        old_name = group.display_name
        if self.created:
            group.enterprise = self.call.enterprise
        try:
            group_save(
                group=group,
                display_name=self.document["displayName"],
                external_id=self.document.get("externalId"),
            )
        except (ValidationError, IntegrityError) as error:
            raise self.refused(error) from None
        self.call.note.target("Group", group.scim_id, group.display_name)
        self.empty = self.created and not any(op.value for op in self.member_operations)
        said = []
        if self.created:
            said.append(f"Created group {group.display_name}")
        elif old_name != group.display_name:
            said.append(f"Renamed group {old_name} → {group.display_name}")
        try:
            for operation in self.member_operations:
                said += self._apply_members(operation)
        except SeatsExhausted as error:
            raise self.refused(error) from None
        if self.created:
            action = Action.CREATED
        elif old_name != group.display_name:
            action = Action.RENAMED
        else:
            action = Action.MEMBERS_CHANGED if said else Action.UPDATED
        facts = {"added": self.added, "removed": self.removed, "named": self.one_named}
        if action == Action.RENAMED:
            facts["renamed_from"] = old_name
        said = "; ".join(said) or f"Updated group {group.display_name}: no changes"
        self.call.note.says(action, said, **facts)

    def _apply_members(self, operation: documents.Operation) -> list[str]:
        """Apply one members operation; what it did, in words."""
        group, value = self.obj, operation.value
        self.named = ""
        path = documents.PATH.match(operation.path or "members")
        if path["sub"]:
            raise bad_request(f"The path '{operation.path}' cannot be changed; use 'members'.", "invalidPath")
        if operation.op == "remove":
            if path["filter"]:
                where = MembershipFilter.to_q(path["filter"])
            elif value:
                # Entra's default dialect: remove the listed members only. Ids no longer known are ignored.
                where = Q(member__in=self._members(value, strict=False))
            else:
                where = None
            removed = group_members_remove(group=group, where=where)
            self._counted(self.named, removed=removed)
            return [f"Removed {_count(removed, self.named)} from {group.display_name}"] if removed else []
        if path["filter"]:
            raise bad_request("Add members with path 'members' and a value list.", "invalidPath")
        members = self._members(value, strict=True)
        said = []
        if operation.op == "replace" and not self.created:
            removed = group_members_remove(group=group, keep=members)
            self._counted("", removed=removed)
            if removed:
                said.append(f"Removed {_count(removed)} from {group.display_name}")
        group_members_add(group=group, member_ids=members)
        self._counted(self.named, added=len(members))
        if members:
            said.append(f"Added {_count(len(members), self.named)} to {group.display_name}")
        return said

    def _counted(self, named: str, *, added: int = 0, removed: int = 0) -> None:
        """Add one operation's counts to the request's (`named`: the one member it concerned, if known); the
        request named one member only if every operation that did something named the same one."""
        if not (added or removed):
            return
        one = named if added + removed == 1 else ""
        known = self.added or self.removed
        self.one_named = one if not known or one == self.one_named else ""
        self.added += added
        self.removed += removed

    def _members(self, value, strict: bool) -> list[int]:
        """Primary keys of the members a value list names; with `strict`, every one must be ours. The
        userName of the one found, when one is, is kept in `named`, for activity."""
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
        if not ids:
            return []
        rows = Member.objects.keys(self.call.enterprise, list(ids))
        found = {scim_id: (pk, user_name) for scim_id, pk, user_name in rows}
        missing = [raw for key, raw in ids.items() if key not in found]
        if strict and missing:
            raise bad_request(f"These members are not users of this enterprise: {', '.join(missing[:20])}.")
        self.named = next(iter(found.values()))[1] if len(found) == 1 else ""
        return [pk for pk, _ in found.values()]

    def delete(self) -> None:
        group_delete(group=self.obj)
        self.call.note.says(Action.DELETED, f"Deleted group {self.obj.display_name}")


def _count(n: int, name: str = "") -> str:
    """ "alex@contoso.com" when one member whose name is known, else "3 members"."""
    if n == 1 and name:
        return name
    return f"{n} member{'s' if n != 1 else ''}"


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
