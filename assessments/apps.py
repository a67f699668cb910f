from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from catalogue.access import register_membership_figure
        from catalogue.signals import balance_inputs_changed

        from .panels import register_panels
        from .receivers import queue_recompute
        from .selectors import unread_for_membership

        balance_inputs_changed.connect(queue_recompute, dispatch_uid="assessments-recompute")
        register_panels()  # bottleneck flags on enabler, offering and team pages
        # The navigation's unread count, read with the page's membership.
        register_membership_figure("unread_notifications", unread_for_membership)
