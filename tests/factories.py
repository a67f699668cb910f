"""factory-boy factories for the catalogue. Pass ``organisation=`` to keep things together."""

import factory
from django.contrib.auth import get_user_model

from catalogue import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class OrgOwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    organisation = factory.SubFactory(OrganisationFactory)


class AreaFactory(OrgOwnedFactory):
    class Meta:
        model = m.BusinessArea

    name = factory.Sequence(lambda n: f"Area {n}")
    key = factory.Sequence(lambda n: f"area-{n}")


class TeamFactory(OrgOwnedFactory):
    class Meta:
        model = m.Team

    name = factory.Sequence(lambda n: f"Team {n}")
    key = factory.Sequence(lambda n: f"team-{n}")


class OfferingFactory(OrgOwnedFactory):
    class Meta:
        model = m.Offering

    name = factory.Sequence(lambda n: f"Offering {n}")
    key = factory.Sequence(lambda n: f"offering-{n}")


class TouchpointFactory(OrgOwnedFactory):
    class Meta:
        model = m.Touchpoint

    name = factory.Sequence(lambda n: f"Touchpoint {n}")
    key = factory.Sequence(lambda n: f"touchpoint-{n}")


class JourneyFactory(OrgOwnedFactory):
    class Meta:
        model = m.Journey

    name = factory.Sequence(lambda n: f"Journey {n}")
    key = factory.Sequence(lambda n: f"journey-{n}")


class EnablerFactory(OrgOwnedFactory):
    class Meta:
        model = m.Enabler

    name = factory.Sequence(lambda n: f"Enabler {n}")
    key = factory.Sequence(lambda n: f"enabler-{n}")
    kind = m.EnablerKind.PLATFORM
    classification = m.Classification.COMMON
