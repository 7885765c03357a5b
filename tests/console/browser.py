"""The console (spec §12) driven in Chromium by Playwright, as a person would use it, with an
axe-core scan of every page it opens. Run by scripts/console-browser.sh against a demo server
(`roster serve --demo`), which passes the server's address, the first-run console link of
admin@localhost and the roster binary (for more login links and an API token; the ROSTER_*
settings come from the environment the server runs with).

Each step prints what it checked; the first failed check ends the run. Every page must come
with the Content-Security-Policy header and log no console error (a CSP violation is one), and
axe-core must find no serious or critical violation on any page: those are listed with their
rule, help text and target nodes, and fail the run after the steps.
"""

import argparse
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

IMPACTS = ["critical", "serious", "moderate", "minor"]
FAILING_IMPACTS = {"critical", "serious"}


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook endpoint on loopback that takes every delivery (204), so the webhook's page
    has deliveries to show."""

    received = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def start_receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Failed(Exception):
    """A check that did not hold."""


class Run:
    """The shared state of a run: the server, the browser, what each page showed."""

    def __init__(self, args, browser):
        self.base = args.base_url.rstrip("/")
        self.admin_link = args.admin_link
        self.roster = args.roster
        self.shots = args.screenshots
        self.browser = browser
        self.axe = Axe()
        self.token = self.cli("token", "--user", "admin@localhost")
        self.steps_passed = 0
        self.checks = 0
        # Per scanned page: (name, Counter of impacts); and every serious/critical violation.
        self.scans = []
        self.bad_violations = []
        # Console errors and responses seen since the last step ended.
        self.console_errors = []
        self.responses = []
        # Documents a step expects to fail (4xx): Chromium logs those as console errors.
        self.expected_failures = set()
        self.ids = {}

    # --- the server, from outside the browser ---

    def cli(self, *args):
        out = subprocess.run([self.roster, *args], check=True, capture_output=True, text=True)
        return out.stdout.strip().splitlines()[-1]

    def login_link(self, email):
        return self.cli("login-link", "--user", email)

    def api(self, method, path, body=None, token=None, auth="Bearer"):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"{auth} {token or self.token}"},
        )
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, (json.loads(text) if text else None)

    def api_ok(self, method, path, body=None, token=None, auth="Bearer"):
        status, answer = self.api(method, path, body, token, auth)
        self.check(200 <= status < 300, f"{method} {path} answered {status}: {answer}")
        return answer

    def member_role(self, group, user):
        """The user's direct role in the group as the API tells it, or None."""
        status, answer = self.api("GET", f"/v1/groups/{group}/members/{user}")
        if status == 404:
            return None
        self.check(status == 200, f"GET member answered {status}: {answer}")
        return answer["role"]

    # --- checks and steps ---

    def check(self, condition, message):
        self.checks += 1
        if not condition:
            raise Failed(message)

    def say(self, text):
        print(f"    ok  {text}", flush=True)

    def step(self, number, title, body):
        print(f"{number:>2}. {title}", flush=True)
        body(self)
        self.settle()
        self.steps_passed += 1

    def settle(self):
        """Every console response of the step had the CSP header; no page logged an error."""
        for response in self.responses:
            if not response.url.startswith(self.base + "/console"):
                continue
            headers = response.headers
            self.check(
                "content-security-policy" in headers,
                f"{response.status} {response.url} has no Content-Security-Policy header",
            )
        errors = [
            f"{page}: {text} ({where})"
            for page, text, where in self.console_errors
            if where not in self.expected_failures
        ]
        self.check(not errors, "the browser logged errors:\n      " + "\n      ".join(errors))
        if self.responses:
            self.say(f"{len(self.responses)} responses all carried the CSP header; no console error or CSP violation")
        self.responses.clear()
        self.console_errors.clear()
        self.expected_failures.clear()

    # --- the browser ---

    def context(self):
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        context.on("response", lambda response: self.responses.append(response))
        return context

    def page(self, context: BrowserContext) -> Page:
        page = context.new_page()

        def console(message):
            if message.type != "error":
                return
            where = message.location.get("url", "")
            self.console_errors.append((page.url, message.text, where))

        page.on("console", console)
        page.on("pageerror", lambda error: self.console_errors.append((page.url, str(error), "")))
        return page

    def expect_failure(self, path):
        self.expected_failures.add(self.base + path)

    def url(self, path):
        return self.base + path

    def scan(self, page: Page, name):
        """axe-core on the page as it is now: counts by impact, and the bad ones kept."""
        result = self.axe.run(page).response
        counts = Counter(v.get("impact") or "minor" for v in result["violations"])
        for violation in result["violations"]:
            if violation.get("impact") in FAILING_IMPACTS:
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                self.bad_violations.append(
                    f"{name}: {violation['impact']} {violation['id']}: {violation['help']} — "
                    + "; ".join(targets)
                )
        self.scans.append((name, counts))
        shown = ", ".join(f"{counts[i]} {i}" for i in IMPACTS)
        rules = ", ".join(sorted({f"{v['id']}({v.get('impact')})" for v in result["violations"]}))
        print(f"    axe {name}: {shown}" + (f" [{rules}]" if rules else ""), flush=True)

    def screenshot(self, page: Page, name):
        if self.shots:
            path = os.path.join(self.shots, f"console-{name}.png")
            page.screenshot(path=path, full_page=True)
            self.say(f"screenshot {path}")


# --- the scenario ---


def find_ids(run: Run):
    groups = run.api_ok("GET", "/v1/groups/{}/descendants".format(school_id(run)) + "?limit=100")
    names = {g["name"]: g["id"] for g in groups["items"]}
    for name in ["Science", "Humanities", "Class 7B", "Class 8A", "Class 7C"]:
        run.check(name in names, f"the demo has no group {name}: {names}")
        run.ids[name] = names[name]
    projects = run.api_ok("GET", "/v1/projects?limit=100")["items"]
    fair = [p["id"] for p in projects if p["name"] == "Science Fair"]
    run.check(len(fair) == 1, "the demo project Science Fair is missing")
    run.ids["Science Fair"] = fair[0]
    for email in ["curie", "ada", "alan", "grace", "linus", "skinner", "darwin"]:
        found = run.api_ok("GET", f"/v1/users?q={email}%40example.org")["items"]
        run.check(len(found) == 1, f"no single demo user {email}")
        run.ids[email] = found[0]["id"]


def make_webhook(run: Run):
    """An endpoint on the school's subtree, made through the API before anything changes, so
    that the scenario's changes are delivered to the loopback receiver and its page has a log."""
    run.receiver = start_receiver()
    port = run.receiver.server_address[1]
    run.hook_url = f"http://127.0.0.1:{port}/roster-events"
    made = run.api_ok("POST", "/v1/webhooks", {
        "url": run.hook_url, "description": "Browser test receiver", "group_id": school_id(run),
    })
    run.ids["webhook"] = made["id"]


def school_id(run: Run):
    if "Springfield High" not in run.ids:
        groups = run.api_ok("GET", "/v1/groups?limit=100")["items"]
        school = [g["id"] for g in groups if g["name"] == "Springfield High"]
        run.check(len(school) == 1, "the demo school is missing")
        run.ids["Springfield High"] = school[0]
    return run.ids["Springfield High"]


def step_sign_in_page(run: Run):
    context = run.context()
    page = run.page(context)
    response = page.goto(run.url("/console/groups"))
    run.check(page.url.startswith(run.url("/console/sign-in")), f"no session went to {page.url}")
    run.check(response.status == 200, f"the sign-in page answered {response.status}")
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    expect(page.get_by_text("roster login-link --user you@example.com")).to_be_visible()
    run.say("without a session /console/groups sends the browser to the sign-in page, which says how to get a link")
    run.scan(page, "sign-in")
    context.close()


def step_admin_signs_in(run: Run):
    run.admin = run.context()
    page = run.admin_page = run.page(run.admin)
    response = page.goto(run.admin_link)
    run.check(page.url == run.url("/console/groups"), f"the link led to {page.url}")
    run.check(response.status == 200, f"/console/groups answered {response.status}")
    expect(page.get_by_role("heading", level=1, name="Groups")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    run.say("the first-run link signs admin@localhost in and lands on the group tree")
    cookies = [c for c in run.admin.cookies() if c["name"] == "roster_session"]
    run.check(len(cookies) == 1, f"one session cookie expected: {run.admin.cookies()}")
    cookie = run.admin_cookie = cookies[0]
    run.check(cookie["httpOnly"], "the session cookie is not HttpOnly")
    run.check(cookie["sameSite"] == "Strict", f"the session cookie is SameSite={cookie['sameSite']}")
    run.check(cookie["path"] == "/console", f"the session cookie's path is {cookie['path']}")
    run.say("the session cookie is HttpOnly, SameSite=Strict, Path=/console")
    run.check(
        page.evaluate("document.cookie").find("roster_session") < 0,
        "the page's script can read the session cookie",
    )
    run.say("the page's script cannot read it (document.cookie)")


def step_spent_and_made_up_codes(run: Run):
    for name, link in [
        ("a spent", run.admin_link),
        ("a made-up", run.url("/console/login?code=" + "A" * 43)),
        ("an empty", run.url("/console/login?code=")),
    ]:
        context = run.context()
        page = run.page(context)
        run.expect_failure(link.replace(run.base, "", 1))
        response = page.goto(link)
        run.check(response.status == 400, f"{name} code answered {response.status}")
        expect(page.get_by_role("heading", level=1, name="This sign-in link cannot be used")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("Each link works once")
        run.check(not context.cookies(), f"{name} code set cookies: {context.cookies()}")
        if name == "a spent":
            run.scan(page, "link-cannot-be-used")
        page.goto(run.url("/console/groups"))
        run.check(page.url.startswith(run.url("/console/sign-in")), f"after {name} code /console/groups opened")
        run.say(f"{name} code: 400 \"This sign-in link cannot be used\", no cookie, no session")
        context.close()


def step_tree(run: Run):
    page = run.admin_page
    tree = page.locator("ul.tree")
    expect(tree.get_by_role("link", name="Springfield High", exact=True)).to_be_visible()
    for name in ["Science", "Humanities", "Class 7B", "Class 8A", "Class 7C"]:
        expect(tree.get_by_role("link", name=name, exact=True)).to_be_visible()
    run.say("the tree shows Springfield High with Science, Humanities and their classes, open")
    # Science's own item is the last one holding its link (its parent's item holds it too).
    science = tree.locator("li").filter(has=page.get_by_role("link", name="Science", exact=True)).last
    summary = science.locator("details").first.locator(":scope > summary")
    box = summary.bounding_box()
    summary.click(position={"x": box["width"] - 4, "y": box["height"] / 2})
    expect(tree.get_by_role("link", name="Class 7B", exact=True)).to_be_hidden()
    summary.click(position={"x": box["width"] - 4, "y": box["height"] / 2})
    expect(tree.get_by_role("link", name="Class 7B", exact=True)).to_be_visible()
    run.say("clicking Science's summary folds its classes away and back (no script needed)")
    run.scan(page, "groups-tree")
    run.screenshot(page, "tree")

    page.get_by_label("Find a group by name").fill("Class")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Groups named like “Class”")).to_be_visible()
    results = page.locator("ul.results")
    for name in ["Class 7B", "Class 8A", "Class 7C"]:
        expect(results.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="Science", exact=True)).to_have_count(0)
    run.say("searching \"Class\" finds the three classes and nothing else")
    run.scan(page, "groups-search")

    page.get_by_label("Find a group by name").fill("no such group anywhere")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No group you can see has that in its name.")).to_be_visible()
    run.say("a search that finds nothing says so")

    page.goto(run.url(f"/console/groups?root={run.ids['Science']}"))
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(crumbs.get_by_role("link", name="Springfield High")).to_be_visible()
    expect(page.locator("ul.tree").get_by_role("link", name="Class 8A", exact=True)).to_be_visible()
    expect(page.locator("ul.tree").get_by_role("link", name="Humanities")).to_have_count(0)
    run.say("?root=Science shows Science's subtree under its breadcrumbs")
    run.scan(page, "groups-subtree")


def step_group_page(run: Run):
    page = run.admin_page
    page.get_by_role("link", name="Back to all your groups").click()
    page.locator("ul.tree").get_by_role("link", name="Class 7B", exact=True).click()
    run.check(page.url == run.url(f"/console/groups/{run.ids['Class 7B']}"), f"Class 7B led to {page.url}")
    expect(page.get_by_role("heading", level=1, name="Class 7B")).to_be_visible()
    members = page.get_by_role("table")
    expect(members.get_by_role("row", name=re.compile("Ada Lovelace"))).to_contain_text("student")
    expect(members.get_by_role("row", name=re.compile("Alan Turing"))).to_contain_text("student")
    expect(members.get_by_role("row", name=re.compile("Marie Curie"))).to_have_count(0)
    run.say("Class 7B's page lists its direct members, Ada Lovelace and Alan Turing, students")
    run.scan(page, "group")
    run.screenshot(page, "group")
    page.get_by_role("link", name="Include members inherited from parent groups").click()
    curie = page.get_by_role("table").get_by_role("row", name=re.compile("Marie Curie"))
    expect(curie).to_contain_text("teacher")
    expect(curie.get_by_role("link", name="parent group")).to_be_visible()
    run.say("with inherited members, Marie Curie (teacher, from a parent group) is listed too")
    run.scan(page, "group-inherited")
    page.get_by_role("link", name="Show direct members only").click()


def step_add_and_change(run: Run):
    page = run.admin_page
    group, linus = run.ids["Class 7B"], run.ids["linus"]
    run.check(run.member_role(group, linus) is None, "Linus is already in Class 7B")
    page.get_by_label("Person (email or id)").fill("linus@example.org")
    page.get_by_label("Role", exact=True).select_option("student")
    page.get_by_role("button", name="Add member").click()
    run.check(page.url.endswith("?done=added"), f"adding led to {page.url}")
    expect(page.get_by_role("status")).to_have_text("The member was added.")
    row = page.get_by_role("table").get_by_role("row", name=re.compile("Linus Pauling"))
    expect(row).to_contain_text("student")
    run.check(run.member_role(group, linus) == "student", "the API does not see Linus as a student")
    run.say("\"Add member\" linus@example.org as student: notice shown, row listed, the API agrees")

    page.get_by_label("Role of Linus Pauling").select_option("teacher")
    row.get_by_role("button", name="Change role").click()
    expect(page.get_by_role("status")).to_have_text("The role was changed.")
    expect(page.get_by_role("table").get_by_role("row", name=re.compile("Linus Pauling"))).to_contain_text("teacher")
    run.check(run.member_role(group, linus) == "teacher", "the API does not see Linus as a teacher")
    run.say("\"Change role\" to teacher: notice shown, the API agrees")

    page.get_by_label("Person (email or id)").fill("nobody@example.org")
    page.get_by_label("Role", exact=True).select_option("student")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Add member").click()
    status = posted.value.status
    run.expect_failure(f"/console/groups/{group}/members")
    run.check(400 <= status < 500, f"adding an unknown person answered {status}")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("user")
    expect(page.get_by_role("heading", level=1, name="Class 7B")).to_be_visible()
    run.say(f"adding an unknown person: {status}, the group page again with the problem on top: {alert.inner_text().strip()!r}")
    run.scan(page, "group-form-error")

    page.goto(run.url(f"/console/groups/{group}"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Linus Pauling").click()
    expect(page.get_by_role("status")).to_have_text("The member was removed.")
    run.check(run.member_role(group, linus) is None, "the API still sees Linus in Class 7B")
    run.say("\"Remove\" asks first (console.js), then removes Linus: notice shown, the API agrees")


def step_people(run: Run):
    page = run.admin_page
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()
    run.scan(page, "people")
    page.get_by_label("Find a person by name or email").fill("curie")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Marie Curie").click()
    expect(page.get_by_role("heading", level=1, name="Marie Curie")).to_be_visible()
    expect(page.get_by_role("heading", name="Effective access")).to_be_visible()
    science = page.get_by_role("row", name=re.compile("Science"))
    expect(science.first).to_contain_text("teacher")
    expect(page.get_by_role("row", name=re.compile("Science Fair"))).to_contain_text("admin")
    run.say("People → search \"curie\" → Marie Curie: teacher in Science, admin of Science Fair")
    run.scan(page, "person")
    run.screenshot(page, "person")


def step_why(run: Run):
    page = run.admin_page
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Why?").click()
    expect(page.get_by_role("heading", level=1, name="Why?")).to_be_visible()
    run.scan(page, "why")
    group = run.ids["Class 7B"]

    def ask(person, capability):
        page.get_by_label(re.compile("^Person")).fill(person)
        page.get_by_label("Capability").select_option(capability)
        page.get_by_label("Resource type").select_option("group")
        page.get_by_label(re.compile("^Resource id")).fill(group)
        page.get_by_role("button", name="Ask").click()
        expect(page.get_by_role("heading", name="Answer")).to_be_visible()
        return page.get_by_role("status")

    answer = ask("curie@example.org", "group.view_members")
    expect(answer).to_contain_text("Allowed")
    expect(answer).to_contain_text("teacher")
    run.say(f"curie × group.view_members × Class 7B: {answer.inner_text().split(chr(10))[0]!r}, role teacher")
    run.scan(page, "why-answered")
    run.screenshot(page, "why")
    answer = ask("alan@example.org", "group.manage_members")
    expect(answer).to_contain_text("Denied")
    reason = answer.locator("p").nth(1).inner_text()
    run.check(len(reason) > 10, f"a denial without a reason: {reason!r}")
    run.say(f"alan × group.manage_members × Class 7B: Denied, because {reason!r}")
    status, api = run.api("POST", "/v1/check", {
        "user_id": run.ids["alan"], "capability": "group.manage_members",
        "resource": {"type": "group", "id": group},
    })
    run.check(status == 200 and api["allowed"] is False and api["reason"] == reason,
              f"POST /v1/check says otherwise: {status} {api}")
    run.say("POST /v1/check gives the same answer and reason")


def step_refusal_page(run: Run):
    page = run.admin_page
    path = f"/console/groups/{uuid.uuid4()}"
    run.expect_failure(path)
    response = page.goto(run.url(path))
    run.check(response.status == 404, f"a group that does not exist answered {response.status}")
    expect(page.get_by_role("heading", level=1, name="Refused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("not_found")
    run.say("a group that does not exist: 404, the \"Refused\" page naming not_found")
    run.scan(page, "refused")
    page.get_by_role("link", name="Back to the groups").click()
    expect(page.get_by_role("heading", level=1, name="Groups")).to_be_visible()


def step_projects(run: Run):
    page = run.admin_page
    project, skinner, darwin = run.ids["Science Fair"], run.ids["skinner"], run.ids["darwin"]
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Projects").click()
    expect(page.get_by_role("heading", level=1, name="Projects")).to_be_visible()
    run.scan(page, "projects")
    page.get_by_role("link", name="Science Fair").click()
    expect(page.get_by_role("heading", level=1, name="Science Fair")).to_be_visible()
    members = page.get_by_role("table")
    for name, role in [("Marie Curie", "admin"), ("Charles Darwin", "pm"), ("Ada Lovelace", "squad_lead"),
                       ("Alan Turing", "member"), ("Grace Hopper", "member"), ("Linus Pauling", "member")]:
        expect(members.get_by_role("row", name=re.compile("^" + name))).to_contain_text(role)
    run.say("Science Fair's page lists its six members with their roles")
    chart = page.locator("figure.chart")
    svg = chart.locator("svg")
    expect(svg).to_be_visible()
    drawn = svg.text_content()
    for name in ["Marie Curie", "Charles Darwin", "Ada Lovelace", "Linus Pauling"]:
        run.check(name in drawn, f"the org chart does not name {name}")
    run.check(svg.bounding_box()["width"] > 100, "the org chart is not drawn")
    expect(chart.locator("figcaption")).to_contain_text("Who reports to whom in Science Fair")
    run.say("the org chart is an inline SVG in figure.chart naming every member, with its caption")
    for squad in ["Robotics", "Sensors", "Botany"]:
        expect(page.get_by_text(squad, exact=True).first).to_be_visible()
    run.say("the squads Robotics (with Sensors) and Botany are shown")
    run.scan(page, "project")
    run.screenshot(page, "project")

    page.get_by_label("Email address").fill("skinner@example.org")
    page.get_by_label("Project role").select_option("member")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("status")).to_have_text("The member is added.")
    added = run.api_ok("GET", f"/v1/projects/{project}/members/{skinner}")
    run.check(added["role"] == "member", f"the API shows {added}")
    run.say("\"Add member\" skinner@example.org as member: notice shown, the API agrees")
    page.get_by_role("link", name="Details of Seymour Skinner").click()
    expect(page.get_by_role("heading", level=1, name="Seymour Skinner in Science Fair")).to_be_visible()
    run.scan(page, "project-member")
    page.get_by_label("Project role").select_option("squad_lead")
    page.get_by_label("Reports to").select_option(darwin)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("The membership is saved.")
    row = page.get_by_role("table").get_by_role("row", name=re.compile("^Seymour Skinner"))
    expect(row).to_contain_text("squad_lead")
    expect(row).to_contain_text("Charles Darwin")
    saved = run.api_ok("GET", f"/v1/projects/{project}/members/{skinner}")
    run.check(saved["role"] == "squad_lead" and saved["reports_to"] == darwin, f"the API shows {saved}")
    run.say("on his page, squad_lead reporting to Charles Darwin, \"Save\": the project lists it, the API agrees")
    run.check("Seymour Skinner" in page.locator("figure.chart svg").text_content(), "the org chart misses him")
    run.say("the org chart now draws him too")
    page.get_by_role("link", name="Details of Seymour Skinner").click()
    expect(page.get_by_role("link", name="Charles Darwin").first).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Seymour Skinner from the project").click()
    expect(page.get_by_role("status")).to_have_text("The member is removed.")
    status, _ = run.api("GET", f"/v1/projects/{project}/members/{skinner}")
    run.check(status == 404, f"after removal the API answers {status}")
    run.say("\"Remove Seymour Skinner from the project\" (confirmed): notice shown, the API answers 404")


def step_audit_and_changes(run: Run):
    page = run.admin_page
    group = run.ids["Class 7B"]
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1, name="Audit log")).to_be_visible()
    page.get_by_label("Resource type").fill("group_member")
    page.get_by_label("In group (id)").fill(group)
    page.get_by_role("button", name="Filter").click()
    rows = page.get_by_role("table").locator("tbody tr")
    actions = page.get_by_role("table").locator("tbody tr td:nth-child(3)").all_inner_texts()
    run.check(actions and all(a.startswith("group_member.") for a in actions), f"filtered actions: {actions}")
    by_admin = rows.filter(has_text="Administrator")
    run.check(by_admin.count() >= 3, f"the three member changes in Class 7B are not all listed: {actions}")
    run.say(f"filtered by group_member in Class 7B: {len(actions)} events ({', '.join(sorted(set(actions)))}), by the Administrator")
    rows.first.get_by_text("Before and after").click()
    expect(rows.first.get_by_text("After", exact=True)).to_be_visible()
    run.say("an event's before and after unfold")
    run.scan(page, "audit")
    run.screenshot(page, "audit")
    page.get_by_label("Since (RFC 3339)").fill("yesterday")
    with page.expect_response(lambda r: "/console/audit" in r.url) as answered:
        page.get_by_role("button", name="Filter").click()
    run.expect_failure(answered.value.url.replace(run.base, "", 1))
    run.check(answered.value.status == 400, f"a bad since answered {answered.value.status}")
    expect(page.get_by_role("alert")).to_contain_text("since")
    run.say(f"a since that is not a time: 400, the problem on the page: {page.get_by_role('alert').inner_text().strip()!r}")
    run.scan(page, "audit-bad-filter")

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Changes").click()
    expect(page.get_by_role("heading", level=1, name="Changes")).to_be_visible()
    page.get_by_label("In group (id)").fill(group)
    page.get_by_role("button", name="Show changes").click()
    changes = page.locator("article.change")
    run.check(changes.count() >= 3, f"{changes.count()} changes in Class 7B")
    added = changes.filter(has=page.get_by_role("heading", name=re.compile("group_member"))).filter(has_text="Linus Pauling")
    run.check(added.count() >= 1, "no change names Linus Pauling's access")
    run.say(f"the change feed of Class 7B: {changes.count()} changes, Linus Pauling's access among them")
    run.scan(page, "changes")
    run.screenshot(page, "changes")


def step_webhooks(run: Run):
    page = run.admin_page
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1, name="Webhooks")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=run.hook_url, exact=True))
    expect(row).to_contain_text("Browser test receiver")
    expect(row).to_contain_text("Enabled")
    run.say("the webhook made through the API is listed, enabled, with its scope")
    run.scan(page, "webhooks")
    run.screenshot(page, "webhooks")
    row.get_by_role("link", name=run.hook_url).click()
    expect(page.get_by_role("heading", level=1, name=f"Webhook {run.hook_url}")).to_be_visible()
    deadline = time.monotonic() + 15
    while True:
        log = page.get_by_role("table").locator("tbody tr")
        if log.filter(has_text="succeeded").count() > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
        page.reload()
    run.check(log.filter(has_text="succeeded").count() > 0, "no delivery succeeded")
    run.check(Receiver.received > 0, "the receiver got nothing")
    run.say(f"its delivery log lists {log.count()} deliveries, succeeded ones among them "
            f"(the receiver got {Receiver.received})")
    run.scan(page, "webhook")
    run.screenshot(page, "webhook")
    before = Receiver.received
    log.first.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_role("status")).to_contain_text("queued to be sent again")
    deadline = time.monotonic() + 15
    while Receiver.received == before and time.monotonic() < deadline:
        time.sleep(0.2)
    run.check(Receiver.received > before, "the redelivery never arrived")
    run.say("\"Redeliver\" on the first delivery: notice shown, and the receiver gets it again")
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_contain_text("The webhook is disabled")
    run.check(run.api_ok("GET", f"/v1/webhooks/{run.ids['webhook']}")["enabled"] is False, "still enabled")
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status")).to_contain_text("The webhook is enabled")
    run.check(run.api_ok("GET", f"/v1/webhooks/{run.ids['webhook']}")["enabled"] is True, "still disabled")
    run.say("\"Disable\" then \"Enable\": notices shown, the API agrees each time")

    page.get_by_role("link", name="Back to the webhooks").click()
    page.get_by_label("URL (http or https)").fill(run.hook_url + "/science")
    page.get_by_label("Description (optional)").fill("Made in the console")
    page.get_by_label(re.compile("^Only a group's subtree")).fill(run.ids["Science"])
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Create the webhook").click()
    run.check(posted.value.status == 201, f"creating a webhook answered {posted.value.status}")
    created = page.get_by_role("status")
    expect(created).to_contain_text("shown this once")
    secret = created.locator("code").inner_text()
    run.check(len(secret) > 20, f"no secret shown: {secret!r}")
    made = [w for w in run.api_ok("GET", "/v1/webhooks?limit=100")["items"] if w["url"] == run.hook_url + "/science"]
    run.check(len(made) == 1 and made[0]["description"] == "Made in the console", f"the API lists {made}")
    run.say("\"Create the webhook\" for Science: 201, its secret shown once, the API lists it")
    run.scan(page, "webhook-created")
    page.get_by_role("button", name="Delete this webhook").click()
    expect(page.get_by_role("status")).to_contain_text("The webhook is deleted")
    status, _ = run.api("GET", f"/v1/webhooks/{made[0]['id']}")
    run.check(status == 404, f"the deleted webhook answers {status}")
    run.say("\"Delete this webhook\": notice shown, the API answers 404 for it")


def step_idp_groups(run: Run):
    scim = run.cli("scim-token", "create", "--name", "console-browser")
    members = [{"value": run.ids["ada"]}, {"value": run.ids["grace"]}]
    run.api_ok("POST", "/scim/v2/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Chess Club", "externalId": "okta-chess", "members": members,
    }, token=scim)
    run.say("an identity provider pushed \"Chess Club\" (Ada, Grace) over SCIM")
    page = run.admin_page
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="IdP groups").click()
    expect(page.get_by_role("heading", level=1, name="IdP groups")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Chess Club"))
    expect(row).to_contain_text("okta-chess")
    run.scan(page, "idp-groups")
    run.screenshot(page, "idp-groups")
    row.get_by_role("link", name="Chess Club").click()
    expect(page.get_by_role("heading", level=1, name="IdP group Chess Club")).to_be_visible()
    for name in ["Ada Lovelace", "Grace Hopper"]:
        expect(page.locator("ul.results").get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_text("It is bound nowhere")).to_be_visible()
    run.say("its page lists Ada Lovelace and Grace Hopper, bound nowhere")
    group = run.ids["Class 8A"]
    page.get_by_label("Bind to").select_option("group")
    page.get_by_label("Its id").fill(group)
    page.get_by_label("Role", exact=True).select_option("student")
    page.get_by_role("button", name="Bind").click()
    expect(page.get_by_role("status")).to_contain_text("The IdP group is bound")
    binding = page.get_by_role("row", name=re.compile("Class 8A"))
    expect(binding).to_contain_text("student")
    run.check(run.member_role(group, run.ids["ada"]) == "student", "Ada holds nothing in Class 8A")
    run.say("\"Bind\" to Class 8A as student: the binding is listed, and the API shows Ada a student there")
    run.scan(page, "idp-group")
    run.screenshot(page, "idp-group")
    binding.get_by_role("link", name="Class 8A").click()
    ada = page.get_by_role("row", name=re.compile("Ada Lovelace"))
    expect(ada.get_by_role("link", name="IdP group")).to_be_visible()
    run.say("Class 8A's page names the IdP group as the source of Ada's membership")
    page.go_back()
    page.get_by_role("button", name="Delete binding").click()
    expect(page.get_by_role("status")).to_contain_text("The binding is deleted")
    run.check(run.member_role(group, run.ids["ada"]) is None, "Ada still holds a role in Class 8A")
    run.say("\"Delete binding\": Ada holds nothing in Class 8A any more")


def csrf_of(page: Page):
    return page.locator("form.sign-out input[name=csrf]").get_attribute("value")


def step_escalation(run: Run):
    # skinner is group_admin of the school: may manage members, but not grant system_admin.
    run.skinner = run.context()
    page = run.skinner_page = run.page(run.skinner)
    page.goto(run.login_link("skinner@example.org"))
    group, grace, ada = run.ids["Class 7B"], run.ids["grace"], run.ids["ada"]
    page.goto(run.url(f"/console/groups/{group}"))
    offered = page.get_by_label("Role", exact=True).locator("option").all_inner_texts()
    run.check("system_admin" not in offered, f"a group_admin is offered {offered}")
    run.say(f"skinner (group_admin) is offered only {', '.join(offered)}")
    page.evaluate("""() => {
        for (const select of document.querySelectorAll('select[name=role]')) {
            select.add(new Option('system_admin', 'system_admin'));
        }
    }""")
    page.get_by_label("Person (email or id)").fill("grace@example.org")
    page.get_by_label("Role", exact=True).select_option("system_admin")
    run.expect_failure(f"/console/groups/{group}/members")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Add member").click()
    run.check(posted.value.status == 403, f"granting system_admin answered {posted.value.status}")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("role_escalation")
    expect(alert).to_contain_text("system_admin")
    run.check(run.member_role(group, grace) is None, "Grace became a member of Class 7B")
    run.say(f"a forged system_admin option is refused: 403 {alert.inner_text().strip()!r}; the API shows no change")
    run.scan(page, "group-escalation-refused")

    page.goto(run.url(f"/console/groups/{group}"))
    page.evaluate("""() => {
        for (const select of document.querySelectorAll('select[name=role]')) {
            select.add(new Option('system_admin', 'system_admin'));
        }
    }""")
    page.get_by_label("Role of Ada Lovelace").select_option("system_admin")
    run.expect_failure(f"/console/groups/{group}/members/{ada}")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("row", name=re.compile("Ada Lovelace")).get_by_role("button", name="Change role").click()
    run.check(posted.value.status == 403, f"making Ada system_admin answered {posted.value.status}")
    expect(page.get_by_role("alert")).to_contain_text("role_escalation")
    run.check(run.member_role(group, ada) == "student", "Ada's role changed")
    run.say("changing Ada to a forged system_admin: 403 role_escalation; Ada is still a student")

    # darwin, a teacher, is the pm of Science Fair: he may assign roles up to pm, not admin.
    project, skinner = run.ids["Science Fair"], run.ids["skinner"]
    darwin = run.context()
    page = run.page(darwin)
    page.goto(run.login_link("darwin@example.org"))
    page.goto(run.url(f"/console/projects/{project}"))
    offered = page.get_by_label("Project role").locator("option").all_inner_texts()
    run.check("admin" not in offered, f"a pm is offered {offered}")
    page.evaluate("() => document.getElementById('add-role').add(new Option('admin', 'admin'))")
    page.get_by_label("Email address").fill("skinner@example.org")
    page.get_by_label("Project role").select_option("admin")
    run.expect_failure(f"/console/projects/{project}/members")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Add member").click()
    run.check(posted.value.status == 403, f"granting admin answered {posted.value.status}")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("role_escalation")
    status, _ = run.api("GET", f"/v1/projects/{project}/members/{skinner}")
    run.check(status == 404, f"Skinner is in Science Fair ({status})")
    run.say(f"darwin (teacher; pm of Science Fair) is offered {', '.join(offered)}; a forged admin "
            f"is refused: 403 {alert.inner_text().strip()!r}; nothing changed")
    run.scan(page, "project-escalation-refused")
    darwin.close()

    # curie is a teacher in Science: she sees its members but may not manage them, so her page
    # has no form, and a hand-made POST with her own valid CSRF token is refused.
    run.curie = run.context()
    page = run.page(run.curie)
    page.goto(run.login_link("curie@example.org"))
    page.goto(run.url(f"/console/groups/{group}"))
    expect(page.get_by_role("heading", level=1, name="Class 7B")).to_be_visible()
    expect(page.get_by_role("heading", name="Add a member")).to_have_count(0)
    expect(page.get_by_role("button", name="Change role")).to_have_count(0)
    run.say("curie (teacher) sees Class 7B's members but no form to change them")
    response = run.curie.request.post(
        run.url(f"/console/groups/{group}/members"),
        form={"csrf": csrf_of(page), "user": "grace@example.org", "role": "teacher"},
        max_redirects=0,
    )
    run.check(response.status == 403, f"curie's hand-made POST answered {response.status}")
    run.check("forbidden" in response.text(), "curie's refusal does not name forbidden")
    run.check(run.member_role(group, grace) is None, "Grace became a member of Class 7B")
    run.say("her hand-made POST (with her valid CSRF token) is refused: 403 forbidden, no change")
    run.curie.close()


def step_csrf(run: Run):
    group, grace = run.ids["Class 7B"], run.ids["grace"]
    form = {"user": "grace@example.org", "role": "student"}
    url = run.url(f"/console/groups/{group}/members")
    for what, extra in [
        ("without a CSRF token", {}),
        ("with another session's token (skinner's)", {"csrf": csrf_of(run.skinner_page)}),
        ("with a made-up token", {"csrf": "0" * 64}),
    ]:
        response = run.admin.request.post(url, form={**form, **extra}, max_redirects=0)
        run.check(response.status == 403, f"adding a member {what} answered {response.status}")
        run.check("CSRF" in response.text(), f"the refusal {what} does not mention CSRF")
        run.check("content-security-policy" in response.headers, "a refusal without CSP")
        run.check(run.member_role(group, grace) is None, f"a POST {what} added Grace")
        run.say(f"\"Add member\" posted {what} (admin's cookie): 403, nothing changed")
    response = run.admin.request.post(run.url("/console/sign-out"), form={}, max_redirects=0)
    run.check(response.status == 403, f"signing out without a token answered {response.status}")
    page = run.admin_page
    response = page.goto(run.url("/console/groups"))
    run.check(page.url == run.url("/console/groups"), "a refused sign-out ended the session")
    run.say("\"Sign out\" posted without a token: 403, and the session still works")


def step_sign_out(run: Run):
    page = run.admin_page
    old = run.admin_cookie
    page.get_by_role("button", name="Sign out").click()
    run.check(page.url == run.url("/console/sign-in?why=signed-out"), f"signing out led to {page.url}")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    run.check(not [c for c in run.admin.cookies() if c["name"] == "roster_session"], "the cookie stayed")
    run.say("\"Sign out\" lands on the sign-in page saying so, and the browser drops the cookie")
    run.scan(page, "signed-out")
    thief = run.context()
    thief.add_cookies([{k: old[k] for k in ["name", "value", "domain", "path", "httpOnly", "sameSite"]}])
    stolen = run.page(thief)
    stolen.goto(run.url("/console/groups"))
    run.check(stolen.url == run.url("/console/sign-in?why=expired"), f"the old cookie led to {stolen.url}")
    expect(stolen.get_by_role("status")).to_contain_text("ended or expired")
    run.say("the old cookie, put back in a fresh browser, opens nothing: /console/groups sends it to sign-in")
    thief.close()
    run.admin.close()
    run.skinner.close()


STEPS = [
    ("The sign-in page, without a session", step_sign_in_page),
    ("admin@localhost signs in with the first-run link", step_admin_signs_in),
    ("A spent, a made-up and an empty login code are refused", step_spent_and_made_up_codes),
    ("The group tree: fold, search, a subtree", step_tree),
    ("A group's page: members, direct and inherited", step_group_page),
    ("Add a member, change their role, a form error, remove them", step_add_and_change),
    ("A person's page: effective access", step_people),
    ("Why? — the check's answer and reason", step_why),
    ("A refusal page", step_refusal_page),
    ("Projects: members, the org chart, squads; add, change, remove a member", step_projects),
    ("The audit log and the change feed", step_audit_and_changes),
    ("Webhooks: the log of deliveries, disable and enable, create and delete", step_webhooks),
    ("IdP groups: a group pushed over SCIM, bound and unbound", step_idp_groups),
    ("An escalation is refused with a readable message, nothing changes", step_escalation),
    ("Forms posted without the session's CSRF token are refused", step_csrf),
    ("Sign out; the old cookie opens nothing", step_sign_out),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--admin-link", required=True, help="admin@localhost's first-run console link")
    parser.add_argument("--roster", required=True, help="the roster binary (login-link, token)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--screenshots", help="a folder for console-<page>.png")
    args = parser.parse_args()
    started = time.monotonic()
    failed = None
    with sync_playwright() as playwright:
        flags = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = playwright.chromium.launch(executable_path=args.chromium, args=flags, headless=True)
        print(f"Chromium {browser.version} at {args.chromium}, against {args.base_url}", flush=True)
        run = Run(args, browser)
        find_ids(run)
        make_webhook(run)
        for number, (title, body) in enumerate(STEPS, 1):
            try:
                run.step(number, title, body)
            except Exception as error:  # an assertion, a Playwright timeout: report and stop
                failed = f"step {number} ({title}) failed: {error}"
                print(f"    FAILED  {error}", flush=True)
                break
        browser.close()

    print(f"--- axe-core on {len(run.scans)} pages")
    total = Counter()
    for _, counts in run.scans:
        total.update(counts)
    print("axe: {} pages, {}".format(len(run.scans), ", ".join(f"{total[i]} {i}" for i in IMPACTS)))
    for violation in run.bad_violations:
        print(f"  {violation}")
    # The closing line counts steps, and the axe scan as one more check that passes or fails.
    failures = (1 if failed else 0) + (1 if run.bad_violations else 0)
    skipped = len(STEPS) - run.steps_passed - (1 if failed else 0)
    passed = run.steps_passed + (1 if run.scans and not run.bad_violations else 0)
    print(f"{run.checks} checks in {time.monotonic() - started:.0f} s")
    if failed:
        print(failed)
    if run.bad_violations:
        print(f"axe-core found {len(run.bad_violations)} serious or critical violations")
    print(f"console-browser: {passed} passed, {failures} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
