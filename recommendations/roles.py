"""The roles of the tracker as Django groups, kept in sync after every ``migrate``.

Each group gets exactly the permissions listed here: missing ones are added, others removed.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

SECRETARIAT = "Secretariat"
FOCAL_POINT = "Focal point"

# model name (app label "recommendations" unless given) -> actions. The Secretariat keeps
# statuses current, edits the vocabularies and reference lists, reviews the focal points'
# updates and manages accounts, but cannot add or delete any of the 384 recommendations.
# A focal point drafts and submits updates, only for the recommendations of the
# mandate-holders it is linked to (FocalPoint): the views check that link on every request.
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
        "cluster": ("view", "add"),  # the import adds the parts a Matrix names
        "importcolumnmapping": ("view", "change", "delete"),
        "valuealias": ("view", "add", "change", "delete"),
        "progressupdate": ("view", "review"),
        "progressupdateevent": ("view",),
        "focalpoint": ("view", "add", "change", "delete"),
        "edition": ("view", "add"),
        "auth.user": ("view", "add", "change"),
        "auth.group": ("view",),
    },
    FOCAL_POINT: {
        "progressupdate": ("add",),
    },
}


def sees_internal_fields(user) -> bool:
    """Whether exports of any list include the columns not yet public (internal remarks).

    Secretariat staff have the permission through their group; the public never does. Focal
    points see them only in the export of their own list (``reporting``).
    """
    return _holds(user, "recommendations.view_recommendation")


def is_reviewer(user) -> bool:
    """The Secretariat's role in reporting: review, accept, return, see every update."""
    return _holds(user, "recommendations.review_progressupdate")


def _holds(user, permission: str) -> bool:
    """A role counts once the second step of signing in is given, where the account needs it
    (iertracker/mfa.py): a password alone shows nothing internal, anywhere on the site."""
    from iertracker.mfa import missing_second_factor

    return user.is_authenticated and user.has_perm(permission) and not missing_second_factor(user)


def is_focal_point(user) -> bool:
    """May draft and submit updates (for the recommendations of its mandate-holders)."""
    return user.is_authenticated and user.has_perm("recommendations.add_progressupdate")


def permissions_for(group_name: str):
    wanted = Q(pk__in=[])
    for model, actions in GROUP_PERMISSIONS[group_name].items():
        app_label, _dot, model_name = model.rpartition(".")
        codenames = [f"{action}_{model_name}" for action in actions]
        wanted |= Q(content_type__app_label=app_label or "recommendations", codename__in=codenames)
    return Permission.objects.filter(wanted)


def ensure_groups() -> None:
    for name in GROUP_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions_for(name))
