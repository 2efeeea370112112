"""The Names and Role Provisioning Service (NRPS 2.0) of the demo course."""

from typing import Any

from lti1p3platform.membership import Context
from lti1p3platform.service_connector import NamesRoleProvisioningService, TPage

from demo.course import Course, User

MEMBERSHIP_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def member_claims(user: User) -> dict[str, Any]:
    """Return the NRPS member entry of a user."""
    return {
        "status": "Active",
        "user_id": user.sub,
        "roles": list(user.roles),
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
    }


def has_role(user: User, role: str) -> bool:
    """Return whether the user has ``role``, given as a full URI or as a short name such as ``Learner``."""
    return any(role == user_role or user_role.endswith("#" + role) for user_role in user.roles)


class DemoMembershipService(NamesRoleProvisioningService):
    """The membership service of one course.

    ``page`` and ``limit`` must already be integers: the library computes the next page with
    ``page + 1`` and would fail on the strings of a query string.
    """

    def __init__(self, request, platform_config, context_memberships_url: str, course: Course):
        super().__init__(request, platform_config, context_memberships_url)
        self._course = course

    def get_context_by_id(self) -> Context:
        course = self._course
        return Context(id=course.context_id, label=course.label, title=course.title)

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        return context_id == self._course.context_id and any(link.id == resource_link_id for link in self._course.links)

    def get_member_data_page(
        self,
        page: int = 1,
        limit: int | None = None,
        role: str | None = None,
        since: str | None = None,
        rlid: str | None = None,
    ) -> TPage:
        # NOTE: `since` (membership differences) is accepted and ignored, because the demo roster never changes.
        users = [user for user in self._course.users if role is None or has_role(user, role)]
        if limit is None:
            return {"content": [member_claims(user) for user in users], "has_next": False}

        start = (page - 1) * limit
        selected = users[start : start + limit]
        return {"content": [member_claims(user) for user in selected], "has_next": start + limit < len(users)}
