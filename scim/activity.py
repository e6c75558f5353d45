"""What a SCIM request did, in words, for its row of provisioning activity (enterprise.activity)."""

from dataclasses import dataclass, field

from enterprise.activity.models import ProvisioningEvent

Action = ProvisioningEvent.Action


@dataclass
class Note:
    """
    What a request did, in words, and to whom: filled by the handler and the adapter from what they already
    hold (the resource they loaded or wrote, the counts the writes returned), never by an extra query. The
    pipeline records it with the request's activity row.
    """

    action: str = ""
    summary: str = ""
    target_type: str = ""  # "User" or "Group"
    target_id: str = ""  # its SCIM id
    target_label: str = ""  # its userName or displayName, as it was then
    # The same, as data the page puts in the viewer's language (ProvisioningEvent.facts).
    facts: dict = field(default_factory=dict)

    def target(self, target_type: str, target_id: object, label: str) -> None:
        self.target_type, self.target_id, self.target_label = target_type, str(target_id or ""), label

    def says(self, action: str, summary: str, **facts) -> None:
        self.action, self.summary = action, summary
        self.facts.update(facts)
