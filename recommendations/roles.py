"""The roles of the tracker as Django groups, kept in sync after every ``migrate``.

Each group gets exactly the permissions listed here: missing ones are added, others removed.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

SECRETARIAT = "Secretariat"

# model name -> actions. The Secretariat keeps statuses current and edits the vocabularies and
# reference lists, but cannot add or delete any of the 384 recommendations.
GROUP_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    SECRETARIAT: {
        "recommendation": ("view", "change"),
        "historicalrecommendation": ("view",),
        "mandateassignment": ("view", "add", "change", "delete"),
        "source": ("view", "add", "change", "delete"),
        "assessmentstatus": ("view", "add", "change"),
        "implementationstatus": ("view", "add", "change"),
        "mandateholder": ("view", "add", "change"),
        "topic": ("view", "add", "change"),
        "assemblysession": ("view", "add", "change"),
        "progressstatement": ("view", "add", "change", "delete"),
        "section": ("view", "add", "change"),
        "cluster": ("view",),
        "importcolumnmapping": ("view", "change", "delete"),
    },
}


def sees_internal_fields(user) -> bool:
    """Whether exports include the columns not yet public (internal remarks).

    Secretariat staff have the permission through their group (focal points will, too); the
    public never does.
    """
    return user.is_authenticated and user.has_perm("recommendations.view_recommendation")


def permissions_for(group_name: str):
    wanted = Q(pk__in=[])
    for model, actions in GROUP_PERMISSIONS[group_name].items():
        codenames = [f"{action}_{model}" for action in actions]
        wanted |= Q(content_type__app_label="recommendations", codename__in=codenames)
    return Permission.objects.filter(wanted)


def ensure_groups() -> None:
    for name in GROUP_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions_for(name))
