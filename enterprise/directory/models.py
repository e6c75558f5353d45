import functools
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from enterprise.models import Enterprise, Role

# What Entra calls the access every assigned user has (no app role): the enterprise's default role applies.
DEFAULT_ACCESS = {"msiam_access", "user", "default access"}


def app_role_of(roles: list[dict]) -> str:
    """
    The Plandisc role that the identity provider's app roles give (the highest when several), "" for none
    or only default access. Raises ValidationError, naming the accepted values, for a role Plandisc lacks.
    """
    found = []
    for role in roles:
        value = str(role.get("value") or "").strip()
        if not value or value.lower() in DEFAULT_ACCESS:
            continue
        match = next((r for r in Role if value.lower() == r.value), None)
        if match is None:
            accepted = ", ".join(r.name.title() for r in Role)
            raise ValidationError(
                f"Plandisc has no role '{value[:64]}'. Its roles are {accepted}; Entra's default access "
                "(msiam_access, User) gives the enterprise's default role."
            )
        found.append(match)
    return Role.highest(found) or ""


class ProvisionedResourceManager(models.Manager):
    """
    The statements every provisioning request makes, written out as SQL: compiling them with the ORM, and
    working out again for every query which columns come back and how to convert them, cost more CPU than
    running them. The lookups stay inside one enterprise.

    Each is written so that one index can answer it, whatever PostgreSQL's statistics say. A connection
    plans a statement it repeats once for any values (psycopg prepares it); on a table not analysed yet (a
    new database, an enterprise's first cycle filling it faster than autovacuum looks) that generic plan
    costs every index that starts with enterprise_id alike and could pick one that reads the whole
    enterprise: 1.2 ms a lookup at 2,000 members instead of 0.02 (README, "Plans that do not wait for
    statistics").
    """

    def by_scim_id(self, enterprise: "Enterprise", scim_id: uuid.UUID, *, for_update: bool = False):
        """The resource with this SCIM id, or None; `for_update` locks its row for the transaction."""
        db = connections[self.db]
        # Only the scim_id index can answer: the enterprise (`+ 0`) and liveness are checked on the row it
        # finds (in SQL, `deleted_at IS NULL` would let the partial index of live names be read whole).
        sql = f"{self._select()} WHERE scim_id = %s AND enterprise_id + 0 = %s"
        if for_update and db.features.has_select_for_update:
            sql += " FOR UPDATE"
        value = self.model._meta.get_field("scim_id").get_db_prep_value(scim_id, db)
        found = next(iter(self._fetch(sql, [value, enterprise.pk])), None)
        return None if found is None or getattr(found, "deleted_at", None) else found

    def named(self, enterprise: "Enterprise", name: str) -> list:
        """The resource whose unique name (userName, displayName) equals `name`, ignoring case, in a list of
        one or none: what an identity provider's match query asks, through the index of the uniqueness
        constraint. (No ORDER BY or LIMIT: the constraint allows one, and either would make an index
        ordered by id look as good to a generic plan.)"""
        sql = (
            f"{self._select()} WHERE UPPER({self.model.NAME_FIELD}) = UPPER(%s) "
            f"AND {self.model.NAME_ENTERPRISE} = %s{self.model.LIVE}"
        )
        return self._fetch(sql, [name, enterprise.pk])

    def insert(self, resource) -> None:
        """Store a new resource (no pk yet) with one INSERT … RETURNING id, each value prepared by its field
        as save() prepares it. No signals are sent: nothing listens to these models'."""
        db = connections[self.db]
        fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        sql = (
            f'INSERT INTO "{self.model._meta.db_table}" ({", ".join(f.column for f in fields)}) '
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {self.model._meta.pk.column}"
        )
        with db.cursor() as cursor:
            cursor.execute(sql, [f.get_db_prep_save(f.pre_save(resource, True), db) for f in fields])
            resource.pk = cursor.fetchone()[0]
        resource._state.adding, resource._state.db = False, self.db

    def insert_unless_recently_deleted(self, resource, *, user_name: str, external_id: str | None) -> bool:
        """
        Store a new member as `insert` does, in one statement too, unless a recently deleted member of the
        enterprise has this userName (ignoring case) or externalId: then nothing is written and this returns
        False, so that the caller brings that member back instead (member_create). The check rides in the
        INSERT (INSERT … SELECT … WHERE NOT EXISTS), so a creation costs no extra round trip.
        """
        db = connections[self.db]
        table = self.model._meta.db_table
        fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        sql = (
            f'INSERT INTO "{table}" ({", ".join(f.column for f in fields)}) '
            f"SELECT {', '.join(['%s'] * len(fields))} WHERE NOT EXISTS ("
            f'SELECT 1 FROM "{table}" WHERE enterprise_id = %s AND deleted_at IS NOT NULL '
            f"AND (UPPER(user_name) = UPPER(%s) OR external_id = %s)) RETURNING {self.model._meta.pk.column}"
        )
        values = [f.get_db_prep_save(f.pre_save(resource, True), db) for f in fields]
        with db.cursor() as cursor:
            cursor.execute(sql, [*values, resource.enterprise_id, user_name, external_id])
            row = cursor.fetchone()
        if row is None:
            return False
        resource.pk = row[0]
        resource._state.adding, resource._state.db = False, self.db
        return True

    def update_row(self, resource, fields: list[str] | None = None) -> None:
        """Write the columns of a stored resource (all, or those of the named `fields`) with one UPDATE, each
        value prepared by its field as save() prepares it (compiling save()'s UPDATE cost more CPU than
        running it). No signals are sent."""
        db = connections[self.db]
        fields = [
            f
            for f in self.model._meta.concrete_fields
            if not f.primary_key and (fields is None or f.name in fields)
        ]
        sql = (
            f'UPDATE "{self.model._meta.db_table}" SET {", ".join(f"{f.column} = %s" for f in fields)} '
            f"WHERE {self.model._meta.pk.column} = %s"
        )
        with db.cursor() as cursor:
            cursor.execute(
                sql, [*(f.get_db_prep_save(f.pre_save(resource, False), db) for f in fields), resource.pk]
            )

    def _select(self) -> str:
        return _select_sql(self.model)

    def _fetch(self, sql: str, params: list) -> list:
        """The instances a `_select()` statement finds, their values converted as a queryset converts them."""
        db = connections[self.db]
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        converters = _converters(self.model, db)
        return [self.model.from_db(self.db, None, _converted(row, converters, db)) for row in rows]


@functools.lru_cache(maxsize=64)
def _select_sql(model: type[models.Model]) -> str:
    """`SELECT <every column> FROM <table>`, made once per model: most SCIM requests start with it."""
    columns = ", ".join(f.column for f in model._meta.concrete_fields)
    return f'SELECT {columns} FROM "{model._meta.db_table}"'


@functools.lru_cache(maxsize=64)
def _converters(model: type[models.Model], db, names: tuple[str, ...] | None = None) -> list[tuple]:
    """(column index, column, converters) for the columns of `model` (every one, or the fields `names` in
    that order) whose values `db` converts."""
    result = []
    fields = model._meta.concrete_fields if names is None else [model._meta.get_field(n) for n in names]
    for index, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        converters = db.ops.get_db_converters(col) + col.get_db_converters(db)
        if converters:
            result.append((index, col, converters))
    return result


def _converted(row: tuple, converters: list[tuple], db) -> list:
    values = list(row)
    for index, col, functions in converters:
        for convert in functions:
            values[index] = convert(values[index], col, db)
    return values


class GroupManager(ProvisionedResourceManager):
    def add_members(self, group: "Group", member_ids: list[int]) -> None:
        """Insert the memberships of `member_ids` in `group`, leaving those that exist: one written-out
        INSERT … ON CONFLICT DO NOTHING (PostgreSQL, and SQLite since 3.24) per thousand."""
        db = connections[self.db]
        table = GroupMembership._meta.db_table
        now = GroupMembership._meta.get_field("created_at").get_db_prep_save(timezone.now(), db)
        with db.cursor() as cursor:
            for start in range(0, len(member_ids), 1000):
                chunk = member_ids[start : start + 1000]
                rows = ", ".join(["(%s, %s, %s)"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {table} (group_id, member_id, created_at) VALUES {rows} "
                    "ON CONFLICT DO NOTHING",
                    [value for pk in chunk for value in (group.pk, pk, now)],
                )

    def of_member(self, member: "Member") -> list:
        """The groups `member` is in, by id, in one written-out statement (a SCIM user lists them). On
        PostgreSQL their ids are gathered first and each group is then read by its key: as `IN (subquery)`,
        a plan made while the table of groups was small joined by reading every group of every enterprise."""
        ids = f"SELECT group_id FROM {GroupMembership._meta.db_table} WHERE member_id = %s"
        if connections[self.db].vendor == "postgresql":
            sql = f"{self._select()} WHERE id = ANY(ARRAY({ids})) ORDER BY id"
        else:
            sql = f"{self._select()} WHERE id IN ({ids}) ORDER BY id"
        return self._fetch(sql, [member.pk])


class LiveMemberManager(ProvisionedResourceManager):
    """Members who are not recently deleted: everything but the members view's "Recently deleted" list, the
    restore and the purge reads these. Written-out statements (by_scim_id, named) say the same in SQL."""

    def keys(self, enterprise: "Enterprise", scim_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, int, str]]:
        """(SCIM id, primary key, userName) of the enterprise's members among `scim_ids`: what a group's
        member list names, in one written-out statement."""
        db = connections[self.db]
        field = self.model._meta.get_field("scim_id")
        columns = ("scim_id", "id", "user_name", "deleted_at")
        sql = (
            f'SELECT {", ".join(columns)} FROM "{self.model._meta.db_table}" '
            f"WHERE scim_id IN ({', '.join(['%s'] * len(scim_ids))}) AND enterprise_id + 0 = %s"
        )  # only the scim_id index can answer (see by_scim_id)
        with db.cursor() as cursor:
            cursor.execute(sql, [*(field.get_db_prep_value(i, db) for i in scim_ids), enterprise.pk])
            rows = cursor.fetchall()
        converters = _converters(self.model, db, columns)
        found = (_converted(row, converters, db) for row in rows)
        return [(scim_id, pk, name) for scim_id, pk, name, deleted_at in found if deleted_at is None]

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class RecentlyDeletedMemberManager(models.Manager):
    """Members the identity provider deleted, kept for MEMBER_RETENTION_DAYS so an admin can restore them."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=False)


class ProvisionedResource(models.Model):
    """What Members and Groups share: the enterprise's identity provider owns them, SCIM addresses them."""

    # The condition the written-out statements add to find only live resources ("" for groups).
    LIVE = ""
    # How `named` names the enterprise: a member's name leads its uniqueness index, so `+ 0` leaves that
    # index alone to answer (see ProvisionedResourceManager); group names repeat across enterprises.
    NAME_ENTERPRISE = "enterprise_id"

    # No index of its own: the page index (enterprise, id) of each model starts with it.
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="%(class)ss", db_index=False
    )
    # The SCIM id: random, so one enterprise's ids say nothing about another's.
    scim_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # Bumped on every change; SCIM's meta.version and ETag.
    version = models.PositiveIntegerField(default=1)

    objects = ProvisionedResourceManager()

    class Meta:
        abstract = True
        ordering = ["id"]
        # externalId is the identity provider's to keep unique (RFC 7643 §3.1); the index serves its filters.
        constraints = []
        indexes = [
            models.Index(fields=["enterprise", "id"], name="%(class)s_page_idx"),
            models.Index(fields=["enterprise", "external_id"], name="%(class)s_external_id_idx"),
        ]


# The profile's key for the attributes of RFC 7643's enterprise extension (employee number, department).
ENTERPRISE_EXTENSION = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class Member(ProvisionedResource):
    """
    A person as the enterprise's identity provider describes them.

    `profile` holds every attribute exactly as the identity provider sent it (so it reads back unchanged);
    the columns beside it are copies of the attributes that are searched, constrained or shown, kept in
    step with `profile` by `set_profile`, the one place that maps one onto the other.
    """

    NAME_FIELD = "user_name"
    # Column -> where its value sits in the profile. `emails` means the work email (see `work_email`).
    PROFILE_COLUMNS = {
        "user_name": ("userName",),
        "external_id": ("externalId",),
        "display_name": ("displayName",),
        "given_name": ("name", "givenName"),
        "family_name": ("name", "familyName"),
        "formatted_name": ("name", "formatted"),
        "email": ("emails", "value"),
        "email_type": ("emails", "type"),
        "title": ("title",),
        "preferred_language": ("preferredLanguage",),
        "employee_number": (ENTERPRISE_EXTENSION, "employeeNumber"),
        "department": (ENTERPRISE_EXTENSION, "department"),
        "active": ("active",),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprise_memberships",
        help_text="The Plandisc login account this person signs in with.",
    )
    user_name = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    formatted_name = models.CharField(max_length=255, blank=True)
    email = models.CharField("work email", max_length=320, blank=True)
    email_type = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=255, blank=True)
    preferred_language = models.CharField(max_length=64, blank=True)
    employee_number = models.CharField(max_length=255, blank=True)
    department = models.CharField(max_length=255, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    active = models.BooleanField(default=True)
    # The role the identity provider's app role assignment gives ("": none, the enterprise's default role
    # applies), copied from `roles` in the profile; and the role an admin or support gave by hand.
    app_role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    role_by_hand = models.CharField(max_length=16, choices=Role.choices, blank=True)
    profile = models.JSONField(default=dict, blank=True)
    # Set when the identity provider deletes the member: their access ends, SCIM answers 404 for them, and
    # they are kept as "Recently deleted" (profile, groups, login account, history) until purged, so an
    # admin can restore them, or the identity provider's creating them again brings them back.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who deleted them, in words: the credential of the request ("SCIM token pdscim_…a1b2"), never a secret.
    deleted_by = models.CharField(max_length=100, blank=True, editable=False)

    LIVE = " AND deleted_at IS NULL"
    NAME_ENTERPRISE = "enterprise_id + 0"

    objects = LiveMemberManager()
    recently_deleted = RecentlyDeletedMemberManager()

    class Meta(ProvisionedResource.Meta):
        db_table = "enterprise_member"
        constraints = [
            # Upper() rather than Lower(): Django's iexact lookup compiles to UPPER(...) on PostgreSQL, so
            # this one index also serves Entra's `userName eq "…"` match query. Recently deleted members
            # do not hold their userName: the identity provider may create someone else with it. The name
            # leads, so that the match query can leave the indexes that start with the enterprise aside
            # (ProvisionedResourceManager.named); a userName (an Entra UPN) is rarely in two enterprises.
            models.UniqueConstraint(
                Upper("user_name"),
                F("enterprise"),
                condition=Q(deleted_at__isnull=True),
                name="member_unique_username",
            ),
            *ProvisionedResource.Meta.constraints,
        ]
        indexes = [
            models.Index(F("enterprise"), Upper("email"), name="member_email_idx"),
            # The few recently deleted members of an enterprise: the creation's check, the list, the purge.
            models.Index(
                fields=["enterprise", "deleted_at"],
                condition=Q(deleted_at__isnull=False),
                name="member_recently_deleted_idx",
            ),
            # The members page's sort orders (directory.selectors.MEMBER_ORDERS): a page is read off one of
            # these, whatever the number of members.
            models.Index(fields=["enterprise", "display_name", "user_name", "id"], name="member_by_name_idx"),
            models.Index(
                fields=["enterprise", "-active", "display_name", "user_name", "id"],
                name="member_by_state_idx",
            ),
            models.Index(fields=["enterprise", "-updated_at", "-id"], name="member_by_change_idx"),
            *ProvisionedResource.Meta.indexes,
        ]

    def __str__(self) -> str:
        return self.user_name

    @property
    def language(self) -> str:
        """Plandisc's language for Entra's preferredLanguage: Danish for "da" and "da-…" in any case,
        English for any other; "" when Entra sends none."""
        preferred = self.preferred_language.strip().lower().replace("_", "-")
        if not preferred:
            return ""
        return "da" if preferred.split("-")[0] == "da" else "en"

    def set_profile(self, profile: dict) -> None:
        """Store `profile` and copy it into the columns. A profile without `active` is an active member."""
        self.profile = profile
        for column, path in self.PROFILE_COLUMNS.items():
            if path[0] == "emails":
                value = work_email(profile.get("emails") or []).get(path[1])
            elif len(path) == 2:
                value = (profile.get(path[0]) or {}).get(path[1])
            else:
                value = profile.get(path[0])
            if value is None:
                value = {"external_id": None, "active": True}.get(column, "")
            setattr(self, column, value)
        self.app_role = app_role_of(profile.get("roles") or [])


def work_email(emails: list[dict]) -> dict:
    """The email that sign-in and `emails[type eq "work"]` filters use: the work one, else the primary."""
    for wanted in (lambda e: str(e.get("type", "")).lower() == "work", lambda e: e.get("primary") is True):
        found = next((e for e in emails if wanted(e)), None)
        if found:
            return found
    return emails[0] if emails else {}


class Group(ProvisionedResource):
    NAME_FIELD = "display_name"

    display_name = models.CharField(max_length=255)
    members = models.ManyToManyField(Member, through="GroupMembership", related_name="groups", blank=True)
    # The role its active members get (see enterprise.roles.selectors); an Admin group makes admins only of
    # the login accounts the enterprise owns. Set on the Enterprise page, never through SCIM.
    role = models.CharField(
        "role it gives",
        max_length=16,
        choices=Role.choices,
        blank=True,
        help_text="Set on the Enterprise page.",
    )

    objects = GroupManager()

    class Meta(ProvisionedResource.Meta):
        db_table = "enterprise_group"
        constraints = [
            models.UniqueConstraint(F("enterprise"), Upper("display_name"), name="group_unique_display_name"),
            *ProvisionedResource.Meta.constraints,
        ]

    def __str__(self) -> str:
        return self.display_name


class GroupMembership(models.Model):
    # No index of their own: the unique pair's index starts with the group, membership_member_idx serves
    # the member (each was there twice, and every membership written updated both).
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="group_memberships", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "enterprise_groupmembership"
        constraints = [models.UniqueConstraint(fields=["group", "member"], name="membership_unique_pair")]
        # (group, member) is covered by the unique index; the member's groups need their own.
        indexes = [models.Index(fields=["member"], name="membership_member_idx")]

    def __str__(self) -> str:
        return f"{self.member} in {self.group}"


class MemberSession(models.Model):
    """
    A session signed in as this member (through single sign-on). Deprovisioning the member deletes it, so
    access ends at once; the directory keeps these rows, not single sign-on, because ending access is part of
    the directory write that deactivates or deletes the member.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "enterprise_ssosession"

    def __str__(self) -> str:
        return f"{self.member} ({self.created_at:%Y-%m-%d %H:%M})"
