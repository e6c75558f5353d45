from django.db import migrations

# The models enterprise 0005 moved, by the room that now holds them.
MOVED = {
    "activity": ["auditevent", "provisioningevent"],
    "credentials": ["accesstoken", "clientsecret", "federationtrust", "oauthclient", "scimtoken"],
    "directory": ["group", "groupmembership", "member"],
    "sso": ["loginaccount", "samlassertion", "samlrequest", "ssoconnection", "ssodomain", "ssorefusal"],
}


def content_types_follow(apps, schema_editor, forward: bool = True) -> None:
    """Permissions and the admin's change history name a model by its content type: move the moved models'
    content types to their new app, so neither is lost. (The member sessions' model is renamed too, from
    ssosession to membersession.) A new database has no content types yet: nothing to do."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    renamed = [("enterprise", "ssosession", "directory", "membersession")]
    renamed += [("enterprise", model, app, model) for app, models in MOVED.items() for model in models]
    for old_app, old_model, new_app, new_model in renamed:
        if not forward:
            old_app, old_model, new_app, new_model = new_app, new_model, old_app, old_model
        if not types.filter(app_label=new_app, model=new_model).exists():
            types.filter(app_label=old_app, model=old_model).update(app_label=new_app, model=new_model)


def content_types_go_back(apps, schema_editor) -> None:
    content_types_follow(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("enterprise", "0005_move_models_to_their_rooms"),
        ("activity", "0001_initial"),
        ("credentials", "0001_initial"),
        ("directory", "0001_initial"),
        ("sso", "0001_initial"),
    ]

    operations = [migrations.RunPython(content_types_follow, content_types_go_back)]
