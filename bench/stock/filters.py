from django_scim import filters


class GroupFilterQuery(filters.GroupFilterQuery):
    """Entra matches a group by `displayName eq "…"`; the library's group map is empty."""

    attr_map = {("displayName", None, None): "name"}
