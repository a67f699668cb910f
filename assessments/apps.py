from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from catalogue.signals import balance_inputs_changed

        from .panels import register_panels
        from .receivers import queue_recompute

        balance_inputs_changed.connect(queue_recompute, dispatch_uid="assessments-recompute")
        register_panels()  # bottleneck flags on enabler, offering and team pages
