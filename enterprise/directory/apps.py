from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "enterprise.directory"
    label = "directory"
    verbose_name = "Directory"
