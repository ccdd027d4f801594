from django.apps import AppConfig


class BomConfig(AppConfig):
    name = "bom"
    verbose_name = "Bills of Materials"
