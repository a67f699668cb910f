from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        # Sign-ins, sign-outs, failed sign-ins, lockouts and deactivations go to the audit log.
        from . import audit, checks  # noqa: F401  (checks register themselves)

        audit.connect()
