#!/usr/bin/env python3
"""A whole Roster session driven by a client that openapi-python-client generated from the live
`/openapi.json`: users, groups, members, projects, roles, reporting lines, squads, checks, audit,
errors, pagination and deletes. If the document stops describing what the server does, a step
here fails: a status the document does not list raises, a missing required field fails to parse,
and a field the document does not declare is reported.

Run by scripts/client-flow.sh, which generates the `roster_client` package, starts a demo server
and sets:
  ROSTER_URL            the server's base URL
  ROSTER_ADMIN_TOKEN    a system admin's token
  ROSTER_STUDENT_TOKEN  the token of a demo student (alan@example.org)
  ROSTER_FLOW_BACKEND   SQLite or PostgreSQL, for the closing line

Every call goes through the generated client; nothing here speaks HTTP by hand.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import httpx

from roster_client import AuthenticatedClient, Client, models
from roster_client.api.audit import list_audit, list_group_audit, list_project_audit
from roster_client.api.check import get_roles, lookup_resources, lookup_subjects, post_check, post_check_batch
from roster_client.api.group_members import (
    create_group_member,
    delete_group_member,
    get_group_member,
    list_group_members,
    upsert_group_member,
)
from roster_client.api.groups import (
    create_group,
    delete_group,
    get_group,
    list_ancestors,
    list_children,
    list_descendants,
    list_groups,
    update_group,
)
from roster_client.api.project_members import (
    delete_project_member,
    get_project_member,
    get_reporting_lines,
    get_reporting_lines_svg,
    list_project_members,
    put_project_member,
)
from roster_client.api.projects import (
    create_project,
    delete_project,
    get_project,
    list_group_projects,
    update_project,
)
from roster_client.api.squads import (
    create_squad,
    delete_squad,
    delete_squad_member,
    get_squad,
    list_squad_members,
    list_squads,
    update_squad,
    upsert_squad_member,
)
from roster_client.api.users import (
    create_user,
    delete_user,
    get_me,
    get_user,
    get_user_access,
    list_users,
    update_user,
)
from roster_client.errors import UnexpectedStatus
from roster_client.types import UNSET, Response

def group_role(name: str) -> models.GroupRole:
    """The enum value a group-membership body takes (the document's `GroupRole` component)."""
    return models.GroupRole(name)


def project_role(name: str) -> models.ProjectRole:
    """The enum value a project-membership body takes (the document's `ProjectRole` component)."""
    return models.ProjectRole(name)


class StepFailed(Exception):
    """An expectation of the flow that the server's answer did not meet."""


class Skipped(Exception):
    """A step needs something an earlier, failed step should have made."""


class State:
    """What the steps hand on to later ones; reading something never set skips the step."""

    def __getattr__(self, name: str) -> Any:
        raise Skipped(f"needs `{name}`, which an earlier step did not produce")


class Flow:
    """Counts steps, and reports a failed one with the last response it saw."""

    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: list[str] = []
        self.skipped: list[str] = []
        self.last: Response | None = None
        self.started = time.monotonic()

    @contextlib.contextmanager
    def step(self, name: str):
        self.last = None
        started = time.monotonic()
        try:
            yield
        except Skipped as why:
            self.skipped.append(name)
            print(f"SKIP {name}: {why}", flush=True)
        except httpx.TransportError as error:
            # No server to talk to: every later step would fail the same way.
            self.failed.append(name)
            print(f"FAIL {name}: cannot reach {base_url}: {error}", flush=True)
            raise SystemExit(report(1)) from None
        except Exception as error:  # noqa: BLE001 — any error fails this step, the flow goes on
            self.failed.append(name)
            print(f"FAIL {name}", flush=True)
            print(f"     {type(error).__name__}: {error}", flush=True)
            if isinstance(error, UnexpectedStatus):
                # The document does not list this status for the route, so the client did not parse it.
                print(f"     status {error.status_code} (not in the document)", flush=True)
                print(f"     body   {error.content.decode(errors='replace')}", flush=True)
            elif self.last is not None:
                print(f"     status {int(self.last.status_code)}", flush=True)
                print(f"     body   {self.last.content.decode(errors='replace')}", flush=True)
            else:
                # Raised before any answer, in the flow or in the generated client: show where.
                frames = traceback.extract_tb(error.__traceback__)
                ours = [
                    f
                    for f in frames
                    if f.name != "step" and ("client_flow" in f.filename or "roster_client" in f.filename)
                ]
                for frame in traceback.format_list(ours or frames[-3:]):
                    print("     " + frame.rstrip().replace("\n", "\n     "), flush=True)
        else:
            self.passed.append(name)
            print(f"  ok {name} ({(time.monotonic() - started) * 1000:.0f} ms)", flush=True)


flow = Flow()
state = State()


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def undocumented_fields(value: Any, path: str = "body") -> list[str]:
    """Fields of a parsed response that the document does not declare.

    The generated models keep such fields in `additional_properties`; models that declare no
    field at all (free-form objects such as an audit event's `details`) are meant to.
    """
    found: list[str] = []
    if attrs.has(type(value)):
        declared = [f.name for f in attrs.fields(type(value)) if f.name != "additional_properties"]
        extra = getattr(value, "additional_properties", None) or {}
        if declared:
            found += [f"{path}.{key}" for key in extra]
            for name in declared:
                found += undocumented_fields(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += undocumented_fields(item, f"{path}[{index}]")
    return found


def call(endpoint, *args: Any, expect: int, client: Any = None, **kwargs: Any) -> Response:
    """Calls a generated endpoint and checks the status and that the body holds only documented
    fields. Statuses the document does not list raise `UnexpectedStatus` in the client itself."""
    response = endpoint.sync_detailed(*args, client=client or admin, **kwargs)
    flow.last = response
    check(response.status_code == expect, f"expected status {expect}, got {int(response.status_code)}")
    extra = undocumented_fields(response.parsed)
    check(not extra, f"fields the document does not declare: {', '.join(extra)}")
    return response


def created(endpoint, *args: Any, location: str | Callable[[Any], str], **kwargs: Any) -> Any:
    """A create (or an upsert that creates): 201 with a `Location` naming the new resource.

    `location` is the expected path, or a function of the parsed body for a resource whose id
    only the answer tells."""
    response = call(endpoint, *args, expect=201, **kwargs)
    expected = location(response.parsed) if callable(location) else location
    actual = response.headers.get("location")
    check(actual == expected, f"Location {actual!r}, expected {expected!r}")
    return response.parsed


def problem(endpoint, *args: Any, expect: int, code: str, **kwargs: Any) -> Any:
    """An error answer: problem+json with the status and the stable `code`."""
    response = call(endpoint, *args, expect=expect, **kwargs)
    content_type = response.headers.get("content-type", "")
    check(
        content_type.startswith("application/problem+json"),
        f"content type {content_type!r}, not application/problem+json",
    )
    body = response.parsed
    check(isinstance(body, models.Problem), f"parsed as {type(body).__name__}, not Problem")
    check(body.status == expect, f"problem status {body.status}, expected {expect}")
    check(body.code == code, f"problem code {body.code!r}, expected {code!r}")
    check(body.type_ == f"urn:roster:problem:{code}", f"problem type {body.type_!r}")
    return body


def gone(endpoint, *args: Any) -> None:
    """Reading back something deleted: 404 not_found."""
    problem(endpoint, *args, expect=404, code="not_found")


def ids(page: Any) -> list[uuid.UUID]:
    return [item.id for item in page.items]


def user_ids(page: Any) -> list[uuid.UUID]:
    return [item.user_id for item in page.items]


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"client flow: {name} is not set (scripts/client-flow.sh sets it)")
    return value


base_url = env("ROSTER_URL")
backend = os.environ.get("ROSTER_FLOW_BACKEND", "an unnamed backend")
# raise_on_unexpected_status: a status the document does not list for a route is a broken contract.
admin = AuthenticatedClient(
    base_url=base_url, token=env("ROSTER_ADMIN_TOKEN"), raise_on_unexpected_status=True
)
student = AuthenticatedClient(
    base_url=base_url, token=env("ROSTER_STUDENT_TOKEN"), raise_on_unexpected_status=True
)
anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
# Names and emails carry this run's tag, so the flow also runs against a server it used before.
tag = f"{int(time.time())}-{os.getpid()}"


def flow_caller() -> None:
    with flow.step("me: the admin token is a system admin"):
        me = call(get_me, expect=200).parsed
        check(me.system_admin is True, "system_admin is not true")
        check(me.user.email == "admin@localhost", f"the admin is {me.user.email}")
        state.admin_id = me.user.id

    with flow.step("me: the student token is a student of one class"):
        me = call(get_me, expect=200, client=student).parsed
        check(me.system_admin is False, "the student is a system admin")
        classes = [m.group_id for m in me.group_memberships if m.role == "student"]
        check(len(classes) == 1, f"student memberships: {classes}")
        state.student_class_id = classes[0]

    with flow.step("roles: /v1/roles names the same roles as the document's enums"):
        roles = call(get_roles, expect=200).parsed
        group_names = [r.name for r in sorted(roles.group_roles, key=lambda r: r.tier)]
        project_names = [r.name for r in sorted(roles.project_roles, key=lambda r: r.tier)]
        check({e.value for e in models.GroupRole} == set(group_names), f"GroupRole differs from {group_names}")
        check(
            {e.value for e in models.ProjectRole} == set(project_names),
            f"ProjectRole differs from {project_names}",
        )
        check(all(c.name for c in roles.capabilities), "a capability without a name")
        state.project_roles = project_names  # strongest first: admin, pm, squad_lead, member


def flow_users() -> None:
    with flow.step("users: create three users (201, Location)"):
        people = {}
        for who in ("teacher", "student", "member"):
            email = f"flow-{who}-{tag}@example.org"
            body = models.CreateUser(email=email, display_name=f"Flow {who.title()}")
            user = created(create_user, body=body, location=lambda new: f"/v1/users/{new.id}")
            check(
                user.email == email and user.display_name == f"Flow {who.title()}",
                f"stored as {user.email}, {user.display_name}",
            )
            people[who] = user
        state.teacher = people["teacher"].id
        state.student = people["student"].id
        state.member = people["member"].id
        state.teacher_email = people["teacher"].email

    with flow.step("users: get one"):
        user = call(get_user, state.teacher, expect=200).parsed
        check(user.id == state.teacher and user.email == state.teacher_email, f"got {user.id} {user.email}")

    with flow.step("users: patch a display name"):
        user = call(
            update_user,
            state.teacher,
            body=models.UpdateUser(display_name="Flow Teacher Renamed"),
            expect=200,
        ).parsed
        check(user.display_name == "Flow Teacher Renamed", f"display_name {user.display_name!r}")
        check(user.email == state.teacher_email, "the email changed with the display name")
        check(user.updated_at >= user.created_at, "updated_at before created_at")

    with flow.step("users: list with the email filter (any case)"):
        page = call(list_users, email=state.teacher_email.upper(), expect=200).parsed
        check(ids(page) == [state.teacher], f"found {ids(page)}")
        check(page.next_cursor is None, "a one-item result has a next page")

    with flow.step("users: find a demo user by email"):
        page = call(list_users, email="darwin@example.org", expect=200).parsed
        check(len(page.items) == 1, f"found {len(page.items)} users")
        state.darwin = page.items[0].id


def flow_groups() -> None:
    with flow.step("groups: create a root group (201, Location, slug derived)"):
        body = models.CreateGroup(name=f"Client Flow {tag}")
        root = created(create_group, body=body, location=lambda new: f"/v1/groups/{new.id}")
        check(root.parent_id is None and root.depth == 0 and root.ancestor_ids == [], "not a root")
        check(root.slug == f"client-flow-{tag}", f"slug {root.slug!r}")
        state.root, state.root_created_at = root.id, root.created_at

    with flow.step("groups: create a subgroup"):
        body = models.CreateGroup(name="Flow Department", parent_id=state.root, slug="department")
        sub = created(create_group, body=body, location=lambda new: f"/v1/groups/{new.id}")
        check(
            sub.parent_id == state.root and sub.depth == 1 and sub.ancestor_ids == [state.root],
            "wrong place in the tree",
        )
        state.sub = sub.id

    with flow.step("groups: create a sub-subgroup"):
        body = models.CreateGroup(name="Flow Class", parent_id=state.sub)
        subsub = created(create_group, body=body, location=lambda new: f"/v1/groups/{new.id}")
        check(
            subsub.depth == 2 and subsub.ancestor_ids == [state.root, state.sub],
            f"depth {subsub.depth}, ancestors {subsub.ancestor_ids}",
        )
        state.subsub = subsub.id

    with flow.step("groups: get one (with my_role)"):
        group = call(get_group, state.subsub, expect=200).parsed
        check(
            group.id == state.subsub and group.parent_id == state.sub and group.slug == "flow-class",
            f"got {group}",
        )
        check(group.my_role == "system_admin", f"my_role {group.my_role!r}")

    with flow.step("groups: list children"):
        page = call(list_children, state.root, expect=200).parsed
        check(ids(page) == [state.sub], f"children {ids(page)}")

    with flow.step("groups: list descendants (all, and max_depth=1)"):
        page = call(list_descendants, state.root, expect=200).parsed
        check(ids(page) == [state.sub, state.subsub], f"descendants {ids(page)}")
        page = call(list_descendants, state.root, max_depth=1, expect=200).parsed
        check(ids(page) == [state.sub], f"descendants to depth 1 {ids(page)}")

    with flow.step("groups: list ancestors, root first"):
        page = call(list_ancestors, state.subsub, expect=200).parsed
        check(ids(page) == [state.root, state.sub], f"ancestors {ids(page)}")
        check([c.depth for c in page.items] == [0, 1], "ancestor depths")

    with flow.step("groups: patch a name (the slug stays)"):
        group = call(update_group, state.sub, body=models.UpdateGroup(name="Flow Science"), expect=200).parsed
        check(
            group.name == "Flow Science" and group.slug == "department",
            f"now {group.name!r} / {group.slug!r}",
        )

    with flow.step("groups: a system admin's group list holds the new root"):
        page = call(list_groups, limit=500, expect=200).parsed
        check(state.root in ids(page), "the new root is not listed")


def flow_group_members() -> None:
    with flow.step("group members: POST a teacher to the subgroup (201, Location)"):
        body = models.AddGroupMember(user_id=state.teacher, role=group_role("teacher"))
        member = created(
            create_group_member,
            state.sub,
            body=body,
            location=f"/v1/groups/{state.sub}/members/{state.teacher}",
        )
        check(member.role == "teacher" and member.group_id == state.sub, f"role {member.role}")

    with flow.step("group members: POST a student to the sub-subgroup"):
        body = models.AddGroupMember(user_id=state.student, role=group_role("student"))
        created(
            create_group_member,
            state.subsub,
            body=body,
            location=f"/v1/groups/{state.subsub}/members/{state.student}",
        )

    with flow.step("group members: get one membership"):
        member = call(get_group_member, state.sub, state.teacher, expect=200).parsed
        check(
            member.user_id == state.teacher and member.role == "teacher",
            f"got {member.user_id} {member.role}",
        )

    with flow.step("group members: PUT creates (201), changes the role (200), repeats (200)"):
        as_student = models.SetGroupMemberRole(role=group_role("student"))
        created(
            upsert_group_member,
            state.sub,
            state.member,
            body=as_student,
            location=f"/v1/groups/{state.sub}/members/{state.member}",
        )
        as_teacher = models.SetGroupMemberRole(role=group_role("teacher"))
        changed = call(upsert_group_member, state.sub, state.member, body=as_teacher, expect=200).parsed
        check(changed.role == "teacher", f"role {changed.role}")
        again = call(upsert_group_member, state.sub, state.member, body=as_teacher, expect=200).parsed
        check(again.updated_at == changed.updated_at, "an unchanged PUT moved updated_at")

    with flow.step("group members: inherited=true lists members of ancestors with inherited_from"):
        page = call(list_group_members, state.subsub, inherited=True, expect=200).parsed
        by_user = {m.user_id: m for m in page.items}
        check(set(by_user) == {state.teacher, state.student, state.member}, f"members {list(by_user)}")
        check(
            by_user[state.teacher].inherited_from == state.sub and by_user[state.teacher].role == "teacher",
            "the teacher's line",
        )
        check(by_user[state.member].inherited_from == state.sub, "the member's line")
        check(not by_user[state.student].inherited_from, "a direct membership shows inherited_from")
        check(user_ids(page) == sorted(user_ids(page)), "not ordered by user id")
        page = call(list_group_members, state.subsub, inherited=True, role=group_role("student"), expect=200).parsed
        check(user_ids(page) == [state.student], f"role=student gave {user_ids(page)}")
        page = call(list_group_members, state.subsub, expect=200).parsed
        check(user_ids(page) == [state.student], f"direct members {user_ids(page)}")


def flow_projects() -> None:
    with flow.step("projects: create in a group (201, Location; the creator is its admin)"):
        body = models.CreateProject(name="Flow Fair")
        project = created(create_project, state.sub, body=body, location=lambda new: f"/v1/projects/{new.id}")
        check(
            project.group_id == state.sub and project.slug == "flow-fair",
            f"group {project.group_id}, slug {project.slug}",
        )
        state.project = project.id
        creator = call(get_project_member, project.id, state.admin_id, expect=200).parsed
        check(creator.role == "admin" and creator.tier == 0, f"the creator is {creator.role}")

    with flow.step("projects: get one (with my_role)"):
        project = call(get_project, state.project, expect=200).parsed
        check(project.id == state.project and project.my_role == "admin", f"my_role {project.my_role!r}")

    with flow.step("projects: patch the name"):
        project = call(
            update_project, state.project, body=models.UpdateProject(name="Flow Science Fair"), expect=200
        ).parsed
        check(
            project.name == "Flow Science Fair" and project.slug == "flow-fair",
            f"now {project.name!r} / {project.slug!r}",
        )

    with flow.step("projects: list a group's projects"):
        page = call(list_group_projects, state.sub, expect=200).parsed
        check(ids(page) == [state.project], f"projects {ids(page)}")


def flow_project_members() -> None:
    def holder(role: str) -> uuid.UUID:
        """Who takes each project role: a demo teacher is the second admin, then our three."""
        return {
            "admin": state.darwin,
            "pm": state.teacher,
            "squad_lead": state.student,
            "member": state.member,
        }[role]

    # One step per role, in the order /v1/roles lists them (strongest first), so that each
    # member's automatic line can point at the one before.
    for index in range(4):
        with flow.step(f"project members: PUT role #{index + 1} of /v1/roles (201, Location)"):
            role = state.project_roles[index]
            user = holder(role)
            # The squad lead reports to the pm by hand; the others follow the automatic rule.
            body = models.AssignRole(
                role=project_role(role), reports_to=state.teacher if role == "squad_lead" else UNSET
            )
            put = created(
                put_project_member,
                state.project,
                user,
                body=body,
                location=f"/v1/projects/{state.project}/members/{user}",
            )
            check(
                put.role == role and put.user_id == user and put.tier == index,
                f"{role}: got {put.role}, tier {put.tier}",
            )
            if role == "squad_lead":
                check(
                    put.reports_to == state.teacher and put.reports_to_explicit is True,
                    f"reports to {put.reports_to}",
                )

    with flow.step("project members: a repeated PUT answers 200 and keeps the explicit line"):
        body = models.AssignRole(role=project_role("squad_lead"))
        lead = call(put_project_member, state.project, state.student, body=body, expect=200).parsed
        check(
            lead.reports_to == state.teacher and lead.reports_to_explicit is True,
            "the explicit line was lost",
        )

    with flow.step("project members: get one and list by role"):
        member = call(get_project_member, state.project, state.member, expect=200).parsed
        check(member.role == "member" and member.tier == 3, f"{member.role} tier {member.tier}")
        check(
            member.reports_to == state.student and member.reports_to_explicit is False,
            f"reports to {member.reports_to}",
        )
        page = call(list_project_members, state.project, role=project_role("pm"), expect=200).parsed
        check(user_ids(page) == [state.teacher], f"pms {user_ids(page)}")
        page = call(list_project_members, state.project, expect=200).parsed
        check(len(page.items) == 5, f"{len(page.items)} members, expected 5")

    with flow.step("reporting lines: the tree is admin → pm → squad_lead → member"):
        tree = call(get_reporting_lines, state.project, expect=200).parsed
        check(tree.project_id == state.project, "another project's tree")
        parent_of: dict[uuid.UUID, uuid.UUID | None] = {}

        def walk(lines: list, parent: uuid.UUID | None) -> None:
            for line in lines:
                check(line.user_id not in parent_of, f"{line.user_id} appears twice")
                check(
                    (line.reports_to or None) == parent,
                    f"{line.user_id} sits under {parent} but reports to {line.reports_to}",
                )
                parent_of[line.user_id] = parent
                walk(line.reports, line.user_id)

        walk(tree.roots, None)
        check(
            {line.user_id for line in tree.roots} == {state.admin_id, state.darwin},
            "the roots are not the two admins",
        )
        # The pm reports to the earliest admin membership: the project's creator.
        check(
            parent_of.get(state.teacher) == state.admin_id,
            f"the pm reports to {parent_of.get(state.teacher)}",
        )
        check(parent_of.get(state.student) == state.teacher, "the squad lead does not report to the pm")
        check(parent_of.get(state.member) == state.student, "the member does not report to the squad lead")

    with flow.step("reporting lines: the same tree drawn as an SVG, one box per member"):
        response = call(get_reporting_lines_svg, state.project, expect=200)
        content_type = response.headers.get("content-type", "")
        check(content_type == "image/svg+xml", f"content type {content_type!r}")
        svg = response.parsed
        check(isinstance(svg, str) and svg.startswith("<svg "), "not an SVG document")
        boxes = svg.count("<rect ")
        check(boxes == len(parent_of), f"{boxes} boxes for {len(parent_of)} members")


def flow_squads() -> None:
    with flow.step("squads: create a squad (201, Location)"):
        body = models.CreateSquad(name="Robots")
        squad = created(create_squad, state.project, body=body, location=lambda new: f"/v1/squads/{new.id}")
        check(
            squad.depth == 0 and squad.parent_id is None and squad.project_id == state.project,
            "not a top-level squad",
        )
        state.squad = squad.id

    with flow.step("squads: create a sub-squad"):
        body = models.CreateSquad(name="Arms", parent_id=state.squad)
        sub = created(create_squad, state.project, body=body, location=lambda new: f"/v1/squads/{new.id}")
        check(sub.depth == 1 and sub.parent_id == state.squad, f"depth {sub.depth}, parent {sub.parent_id}")
        state.sub_squad = sub.id

    with flow.step("squads: get one and patch its name"):
        squad = call(get_squad, state.sub_squad, expect=200).parsed
        check(squad.name == "Arms", f"name {squad.name!r}")
        squad = call(
            update_squad, state.sub_squad, body=models.UpdateSquad(name="Grippers"), expect=200
        ).parsed
        check(
            squad.name == "Grippers" and squad.parent_id == state.squad,
            f"now {squad.name!r} under {squad.parent_id}",
        )

    with flow.step("squad members: PUT with no body adds (201, Location)"):
        # The API takes no body here, and a client must be able to send none. With today's document
        # (an optional body of `oneOf [AddSquadMember, null]`) the generated code passes its UNSET
        # marker to httpx as JSON and raises TypeError before sending anything.
        member = created(
            upsert_squad_member,
            state.squad,
            state.student,
            location=f"/v1/squads/{state.squad}/members/{state.student}",
        )
        check(member.squad_id == state.squad and member.user_id == state.student, f"got {member}")
        page = call(list_squad_members, state.squad, expect=200).parsed
        check(state.student in user_ids(page), "the squad lead is not listed")

    with flow.step("squad members: PUT with {} adds (201), and again answers 200"):
        body = models.AddSquadMember()
        created(
            upsert_squad_member,
            state.squad,
            state.member,
            body=body,
            location=f"/v1/squads/{state.squad}/members/{state.member}",
        )
        again = call(upsert_squad_member, state.squad, state.member, body=body, expect=200).parsed
        check(again.user_id == state.member, f"got {again.user_id}")

    with flow.step("squad members: list a squad's members"):
        page = call(list_squad_members, state.squad, expect=200).parsed
        check(state.member in user_ids(page), f"members {user_ids(page)}")
        check(all(item.squad_id == state.squad for item in page.items), "a member of another squad")

    with flow.step("squads: list a project's squads with their sub-squads"):
        page = call(list_squads, state.project, expect=200).parsed
        check(ids(page) == [state.squad], f"top-level squads {ids(page)}")
        check([s.id for s in page.items[0].sub_squads] == [state.sub_squad], "the sub-squad is not nested")

    with flow.step("project members: list by squad_id"):
        page = call(list_project_members, state.project, squad_id=state.squad, expect=200).parsed
        check(
            state.member in user_ids(page) and state.teacher not in user_ids(page),
            f"members {user_ids(page)}",
        )


def flow_checks() -> None:
    def about(user: uuid.UUID, capability: str, kind: str, resource: uuid.UUID | None) -> models.CheckRequest:
        ref = models.ResourceRef(type_=models.ResourceKind(kind), id=resource if resource else UNSET)
        return models.CheckRequest(user_id=user, capability=models.Capability(capability), resource=ref)

    def teacher_may() -> models.CheckRequest:
        return about(state.teacher, "group.create_projects", "group", state.subsub)

    def student_may_not() -> models.CheckRequest:
        return about(state.student, "group.manage", "group", state.subsub)

    with flow.step("check: an inherited teacher may create projects (allowed, granted_by)"):
        answer = call(post_check, body=teacher_may(), expect=200).parsed
        check(
            answer.allowed is True and answer.role == "teacher",
            f"allowed {answer.allowed}, role {answer.role}",
        )
        check(
            answer.granted_by.type_ == "group" and answer.granted_by.id == state.sub,
            f"granted by {answer.granted_by}",
        )

    with flow.step("check: a student may not manage the group (denied)"):
        answer = call(post_check, body=student_may_not(), expect=200).parsed
        check(
            answer.allowed is False and answer.role == "student",
            f"allowed {answer.allowed}, role {answer.role}",
        )
        check(bool(answer.reason), "no reason given")

    with flow.step("check: each consistency mode, the at_least_as_fresh token from a Roster-Revision"):
        revision = call(post_check, body=teacher_may(), expect=200).headers["roster-revision"]
        modes = [
            models.FullyConsistent.FULLY_CONSISTENT,
            models.MinimizeLatency.MINIMIZE_LATENCY,
            models.AtLeastAsFresh(at_least_as_fresh=revision),
        ]
        for mode in modes:
            body = teacher_may()
            body.consistency = mode
            response = call(post_check, body=body, expect=200)
            check(response.parsed.allowed is True, f"{mode}: allowed {response.parsed.allowed}")
            shown = int(response.headers["roster-revision"])
            check(shown >= int(revision), f"{mode}: answered at {shown}, before {revision}")

    with flow.step("check: a batch answers in order"):
        admin_may = about(state.admin_id, "system.manage", "system", None)
        body = models.BatchRequest(checks=[teacher_may(), student_may_not(), admin_may])
        answers = call(post_check_batch, body=body, expect=200).parsed
        check(
            [a.allowed for a in answers.results] == [True, False, True],
            f"answers {[a.allowed for a in answers.results]}",
        )


def flow_lookups() -> None:
    with flow.step("lookup: the teacher's subtree roots for group.create_projects are the subgroup"):
        body = models.ResourceLookup(
            user_id=state.teacher,
            capability=models.Capability("group.create_projects"),
            resource_type=models.ResourceKind("group"),
        )
        page = call(lookup_resources, body=body, expect=200).parsed
        check([item.id for item in page.items] == [state.sub], f"roots {[i.id for i in page.items]}")
        root = page.items[0]
        check(root.subtree is True and root.role == "teacher", f"{root.role}, subtree {root.subtree}")
        check(root.path.endswith(state.sub.hex), f"path {root.path}")

    with flow.step("lookup: who may view the sub-subgroup's members (the teacher, not the student)"):
        resource = models.ResourceRef(type_=models.ResourceKind("group"), id=state.subsub)
        body = models.SubjectLookup(capability=models.Capability("group.view_members"), resource=resource)
        page = call(lookup_subjects, body=body, expect=200).parsed
        users = [item.user_id for item in page.items]
        check(state.teacher in users and state.student not in users, f"subjects {users}")
        check(users == sorted(users), "not in user-id order")

    with flow.step("lookup: a user's access lists their subtree roots"):
        access = call(get_user_access, state.student, expect=200).parsed
        check(access.system_admin is False, "the student is no system admin")
        check(state.subsub in [g.id for g in access.groups], f"groups {[g.id for g in access.groups]}")


def flow_audit() -> None:
    with flow.step("audit: the whole trail filtered by resource and since"):
        page = call(
            list_audit, resource_type="group", resource_id=state.sub, since=state.root_created_at, expect=200
        ).parsed
        actions = [event.action for event in page.items]
        check(actions == ["group.create", "group.update"], f"actions {actions}")
        check(all(event.actor_id == state.admin_id for event in page.items), "another actor")

    with flow.step("audit: a group's audit holds its subtree's events"):
        page = call(list_group_audit, state.root, limit=500, expect=200).parsed
        actions = {event.action for event in page.items}
        wanted = {
            "group.create",
            "group_member.create",
            "group_member.update",
            "project.create",
            "project_member.create",
        }
        check(wanted <= actions, f"missing {sorted(wanted - actions)}")
        times = [event.occurred_at for event in page.items]
        check(times == sorted(times), "not oldest first")

    with flow.step("audit: a project's audit, filtered by resource type"):
        page = call(list_project_audit, state.project, resource_type="squad", expect=200).parsed
        check(
            [event.action for event in page.items] == ["squad.create", "squad.create", "squad.update"],
            f"{[e.action for e in page.items]}",
        )


def flow_errors() -> None:
    with flow.step("errors: no token → 401 unauthenticated"):
        problem(get_me, expect=401, code="unauthenticated", client=anonymous)
        challenge = flow.last.headers.get("www-authenticate", "")
        check(challenge.startswith("Bearer"), f"WWW-Authenticate {challenge!r}")

    with flow.step("errors: an unknown group → 404 not_found"):
        problem(get_group, uuid.uuid4(), expect=404, code="not_found")

    with flow.step("errors: an empty name → 400 validation_failed naming the field"):
        body = problem(
            create_group,
            body=models.CreateGroup(name="", parent_id=state.sub),
            expect=400,
            code="validation_failed",
        )
        check([e.field for e in (body.errors or [])] == ["name"], f"errors {body.errors}")

    with flow.step("errors: a student creating a group in their class → 403 forbidden"):
        body = models.CreateGroup(name="Student Club", parent_id=state.student_class_id)
        problem(create_group, body=body, expect=403, code="forbidden", client=student)

    with flow.step("errors: a duplicate slug among siblings → 409 conflict"):
        body = models.CreateGroup(name="Another Department", parent_id=state.root, slug="department")
        problem(create_group, body=body, expect=409, code="conflict")

    with flow.step("errors: a duplicate email in another case → 409 email_taken"):
        body = models.CreateUser(email=state.teacher_email.upper(), display_name="Twin")
        problem(create_user, body=body, expect=409, code="email_taken")


def flow_pagination() -> None:
    with flow.step("pagination: users one per page, following next_cursor to the end"):
        everyone = ids(call(list_users, limit=500, expect=200).parsed)
        seen: list[uuid.UUID] = []
        cursor = UNSET
        for _ in range(len(everyone) + 1):  # bounded: one page per user, and the last one
            page = call(list_users, limit=1, cursor=cursor, expect=200).parsed
            check(len(page.items) <= 1, f"{len(page.items)} items on a page of 1")
            seen += ids(page)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        check(len(seen) == len(set(seen)), "a user came twice")
        check(seen == everyone, f"paged through {len(seen)} users, one page holds {len(everyone)}")
        check(len(seen) >= 3, "too few users to page through")


def flow_deletes() -> None:
    with flow.step("delete: a squad member (204), then it is gone"):
        call(delete_squad_member, state.squad, state.member, expect=204)
        page = call(list_squad_members, state.squad, expect=200).parsed
        check(state.member not in user_ids(page), "still listed")
        # There is no GET of one squad member; removing it again is the read-back.
        gone(delete_squad_member, state.squad, state.member)

    with flow.step("delete: a project member (204), then 404"):
        call(delete_project_member, state.project, state.member, expect=204)
        gone(get_project_member, state.project, state.member)

    with flow.step("delete: a group member (204), then 404"):
        call(delete_group_member, state.sub, state.member, expect=204)
        gone(get_group_member, state.sub, state.member)

    with flow.step("delete: a squad with its sub-squad (204), then 404"):
        call(delete_squad, state.squad, expect=204)
        gone(get_squad, state.squad)
        gone(get_squad, state.sub_squad)

    with flow.step("delete: a project (204), then 404"):
        call(delete_project, state.project, expect=204)
        gone(get_project, state.project)

    with flow.step("delete: a group subtree (204), then 404"):
        call(delete_group, state.sub, expect=204)
        gone(get_group, state.sub)
        gone(get_group, state.subsub)
        call(delete_group, state.root, expect=204)
        gone(get_group, state.root)

    with flow.step("delete: a user (204), then 404"):
        call(delete_user, state.member, expect=204)
        gone(get_user, state.member)


def main() -> int:
    for part in (
        flow_caller,
        flow_users,
        flow_groups,
        flow_group_members,
        flow_projects,
        flow_project_members,
        flow_squads,
        flow_checks,
        flow_lookups,
        flow_audit,
        flow_errors,
        flow_pagination,
        flow_deletes,
    ):
        part()
    return report(0)


def report(status: int) -> int:
    """The closing lines; non-zero when any step failed or could not run."""
    print(f"client flow: finished in {time.monotonic() - flow.started:.1f} s")
    if flow.failed or flow.skipped or status:
        print(
            f"client flow: {len(flow.passed)} steps passed, {len(flow.failed)} failed, "
            f"{len(flow.skipped)} skipped on {backend}"
        )
        for name in flow.failed:
            print(f"  failed:  {name}")
        for name in flow.skipped:
            print(f"  skipped: {name}")
        return 1
    print(f"client flow: {len(flow.passed)} steps passed on {backend}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
