from django.urls import path

from enterprise import api, views

app_name = "enterprise"

urlpatterns = [
    path("", views.home, name="home"),
    path("api/me/", api.me, name="api-me"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/setup-check/", views.setup_check_run, name="setup-check"),
    path("<slug:slug>/scim/token/", views.token_rotate, name="token-rotate"),
    path("<slug:slug>/scim/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
    path("<slug:slug>/scim/provisioning/", views.scim_toggle, name="scim-toggle"),
    path("<slug:slug>/scim/client/secrets/", views.client_secret_create, name="client-secret-create"),
    path(
        "<slug:slug>/scim/client/secrets/<int:secret_id>/revoke/",
        views.client_secret_revoke,
        name="client-secret-revoke",
    ),
    path("<slug:slug>/scim/client/lifetime/", views.token_lifetime, name="token-lifetime"),
    path("<slug:slug>/scim/federation/", views.federation_save, name="federation-save"),
    path("<slug:slug>/scim/federation/remove/", views.federation_revoke, name="federation-revoke"),
    path("<slug:slug>/scim/activity.csv", views.activity_csv, name="activity-csv"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/<uuid:scim_id>/restore/", views.member_restore_view, name="member-restore"),
    path("<slug:slug>/admins/groups/", views.admin_groups, name="admin-groups"),
    path("<slug:slug>/roles/default/", views.default_role, name="default-role"),
    path("<slug:slug>/members/<uuid:scim_id>/role/", views.member_role, name="member-role"),
    path("<slug:slug>/groups/<uuid:scim_id>/role/", views.group_role, name="group-role"),
    path("<slug:slug>/alerts/address/", views.alert_address, name="alert-address"),
    path("<slug:slug>/alerts/kinds/", views.alert_kinds, name="alert-kinds"),
    path(
        "<slug:slug>/members/episodes/<int:alert_id>/restore/", views.episode_restore, name="episode-restore"
    ),
    # JSON API for the same actions (session auth + CSRF), for scripts and automation.
    path("<slug:slug>/api/scim/", api.scim_settings, name="api-scim"),
    path("<slug:slug>/api/scim/tokens/", api.token_rotate, name="api-token-rotate"),
    path("<slug:slug>/api/scim/tokens/<int:token_id>/revoke/", api.token_revoke, name="api-token-revoke"),
    path("<slug:slug>/api/scim/provisioning/", api.scim_toggle, name="api-scim-toggle"),
    path("<slug:slug>/api/scim/client/secrets/", api.client_secret_create, name="api-client-secret-create"),
    path(
        "<slug:slug>/api/scim/client/secrets/<int:secret_id>/revoke/",
        api.client_secret_revoke,
        name="api-client-secret-revoke",
    ),
    path("<slug:slug>/api/scim/client/lifetime/", api.token_lifetime, name="api-token-lifetime"),
    path("<slug:slug>/api/scim/federation/", api.federation_save, name="api-federation-save"),
    path("<slug:slug>/api/scim/federation/revoke/", api.federation_revoke, name="api-federation-revoke"),
    path("<slug:slug>/api/scim/activity/", api.activity, name="api-activity"),
    path("<slug:slug>/api/setup-check/", api.setup_check_lines, name="api-setup-check"),
    path("<slug:slug>/api/admins/", api.admins, name="api-admins"),
    path("<slug:slug>/api/admins/groups/", api.admin_groups, name="api-admin-groups"),
]
