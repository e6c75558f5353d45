"""
A provisioning request in the viewer's language, worded when the page is read: from the row's action, target
and facts (ProvisioningEvent.facts). `summary` keeps the English sentence written with the row, for the CSV,
the API and the rows recorded before facts were; the page falls back to it when a row has no facts.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from enterprise.activity.models import ProvisioningEvent
from enterprise.activity.selectors import is_normal_answer

Action = ProvisioningEvent.Action

# The attributes an identity provider changes most, in words; others keep their SCIM names.
ATTRIBUTES = {
    "active": gettext_lazy("active"),
    "addresses": gettext_lazy("address"),
    "department": gettext_lazy("department"),
    "displayName": gettext_lazy("display name"),
    "emails": gettext_lazy("email"),
    "employeeNumber": gettext_lazy("employee number"),
    "externalId": gettext_lazy("external id"),
    "manager": gettext_lazy("manager"),
    "name.familyName": gettext_lazy("family name"),
    "name.formatted": gettext_lazy("full name"),
    "name.givenName": gettext_lazy("given name"),
    "phoneNumbers": gettext_lazy("phone number"),
    "preferredLanguage": gettext_lazy("preferred language"),
    "roles": gettext_lazy("app role"),
    "title": gettext_lazy("title"),
    "userName": gettext_lazy("username"),
}


def attributes(names: list[str]) -> str:
    """ "title, department": the changed attributes, in words, as one list."""
    return ", ".join(str(ATTRIBUTES.get(name, name)) for name in names)


def provider(user_agent: str) -> str:
    """Who sent a request, as a person calls it: from the client's User-Agent."""
    agent = user_agent.lower()
    if "azure" in agent or "entra" in agent or "microsoft" in agent:
        return "Entra"
    if "okta" in agent:
        return "Okta"
    return _("your identity provider")


def sentence(event: ProvisioningEvent) -> str:
    """What the request did and to whom: "Updated alex@contoso.com: title", "Added 3 members to Sales". Falls
    back to `summary` for rows without facts, failures (their reason, in English) and reads of no one."""
    facts, name, action = event.facts, event.target_label, event.action
    if is_normal_answer(event):
        return _normal_answer(event)
    if facts is None or action in ("", Action.FAILED) or (action == Action.READ and not event.target_id):
        return event.summary or event.detail or _unsaid(event)
    group = event.target_type == "Group"
    if group and action in (Action.CREATED, Action.RENAMED, Action.MEMBERS_CHANGED, Action.UPDATED):
        return _group_sentence(action, name, facts)
    if action == Action.TEST_CONNECTION:
        return _("Test Connection: looked up a made-up user, who was not found as expected")
    if action == Action.LOOKED_UP:
        return _looked_up(group, facts) % {"name": name}
    if action == Action.READ:
        return (_("Read group %(name)s") if group else _("Read %(name)s")) % {"name": name}
    if action == Action.DELETED:
        return (_("Deleted group %(name)s") if group else _("Deleted %(name)s")) % {"name": name}
    values = {"name": name, "attributes": attributes(facts.get("changed") or [])}
    if action == Action.CREATED:
        said = (
            _("Created %(name)s again: brought back the deleted record")
            if facts.get("again")
            else _("Created %(name)s")
        )
    elif action == Action.UPDATED:
        said = (
            _("Updated %(name)s: %(attributes)s")
            if values["attributes"]
            else _("Updated %(name)s: no changes")
        )
    elif action == Action.DEACTIVATED:
        said = (
            _("Deactivated %(name)s and updated %(attributes)s")
            if values["attributes"]
            else _("Deactivated %(name)s")
        )
    elif action == Action.REACTIVATED:
        said = (
            _("Reactivated %(name)s and updated %(attributes)s")
            if values["attributes"]
            else _("Reactivated %(name)s")
        )
    else:
        return event.summary or event.detail
    return _with_roles(said % values, facts)


def change(event: ProvisioningEvent) -> str:
    """What the request did to the member it concerned, without naming them (the members view's row says
    whom): "Updated title", "Deactivated", "Created". Falls back to `summary` for rows without facts."""
    facts = event.facts
    if facts is None:
        return event.summary or event.detail
    changed = attributes(facts.get("changed") or [])
    if event.action == Action.CREATED:
        return _("Created again: brought back the deleted record") if facts.get("again") else _("Created")
    if event.action == Action.UPDATED:
        said = _("Updated %(attributes)s") % {"attributes": changed} if changed else _("Updated: no changes")
        return _with_roles(said, facts)
    if event.action == Action.DEACTIVATED:
        return (
            _("Deactivated and updated %(attributes)s") % {"attributes": changed}
            if changed
            else _("Deactivated")
        )
    if event.action == Action.REACTIVATED:
        said = _("Reactivated and updated %(attributes)s") % {"attributes": changed} if changed else None
        return _with_roles(said or _("Reactivated"), facts)
    if event.action == Action.DELETED:
        return _("Deleted")
    return event.summary or event.detail


def _normal_answer(event: ProvisioningEvent) -> str:
    """The answers that are a normal part of a cycle (selectors.NORMAL_ANSWERS), in words."""
    group = event.resource_type == "Group"
    if event.status == 409:
        who = {"provider": provider(event.user_agent)}
        if group:
            return _("Tried to create a group that already exists; %(provider)s matches it instead") % who
        return _("Tried to create someone who already exists; %(provider)s matches them instead") % who
    if event.method == "DELETE":
        if group:
            return _("Deleted a group that was already gone")
        return _("Deleted someone who was already gone")
    if group:
        return _("Looked for a group that is not here: deleted, or never existed")
    return _("Looked for someone who is not here: deleted, or never existed")


def _unsaid(event: ProvisioningEvent) -> str:
    """Rows with neither summary nor detail: token requests, and requests recorded before either."""
    if event.path == "/token":
        return _("Asked for an access token")
    return _("Sent a request")


def _with_roles(text: str, facts: dict) -> str:
    # Role changes are worded by enterprise.roles (English for now), one sentence each.
    return "; ".join([text, *facts.get("roles", [])])


def _looked_up(group: bool, facts: dict) -> str:
    if facts.get("found"):
        return _("Looked up group %(name)s: found") if group else _("Looked up %(name)s: found")
    return _("Looked up group %(name)s: not found") if group else _("Looked up %(name)s: not found")


def _group_sentence(action: str, name: str, facts: dict) -> str:
    added, removed, one = facts.get("added", 0), facts.get("removed", 0), facts.get("named", "")
    values = {"name": name, "member": one, "added": added, "removed": removed}
    if action == Action.CREATED:
        if not added:
            return _("Created group %(name)s") % values
        if one:
            return _("Created group %(name)s with %(member)s") % values
        return (
            ngettext(
                "Created group %(name)s with %(added)d member",
                "Created group %(name)s with %(added)d members",
                added,
            )
            % values
        )
    parts = []
    if action == Action.RENAMED:
        parts.append(
            _("Renamed group %(old)s to %(name)s") % {"old": facts.get("renamed_from", ""), "name": name}
        )
    if added and removed:
        parts.append(
            _("Added %(added)d and removed %(removed)d of the members of %(name)s") % values
            if not one
            else _("Added and removed %(member)s in %(name)s") % values
        )
    elif added:
        parts.append(
            _("Added %(member)s to %(name)s") % values
            if one
            else ngettext("Added %(added)d member to %(name)s", "Added %(added)d members to %(name)s", added)
            % values
        )
    elif removed:
        parts.append(
            _("Removed %(member)s from %(name)s") % values
            if one
            else ngettext(
                "Removed %(removed)d member from %(name)s",
                "Removed %(removed)d members from %(name)s",
                removed,
            )
            % values
        )
    return "; ".join(parts) or _("Updated group %(name)s: no changes") % values
