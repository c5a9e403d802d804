/**
 * The registration Job's program (Python 3 standard library only: the image is a plain python pin),
 * shipped in the registration ConfigMap. It reads the projects from the JSON file named by its first
 * argument (never from its command line or environment, so no text of a spec is ever parsed by a
 * shell or a YAML reader), and talks to flyteadmin's HTTP gateway (v0.6.13, flyteidl 0.19.7):
 *
 * - RegisterProject `POST /api/v1/projects` `{"project": Project}`; 409 means it exists (archived or not);
 * - UpdateProject `PUT /api/v1/projects/{id}` with the whole Project: flyteadmin always rewrites `labels`
 *   and `state` (none sent = no labels, ACTIVE), so every update sends all of them;
 * - ListProjects `GET /api/v1/projects`: the ACTIVE ones, and with `filters=eq(state,1)` the ARCHIVED ones.
 *
 * Tests run this very text (libs/render/src/project-registration.spec.ts) against a server that keeps
 * flyteadmin's contract and parses every body with flyteidl's own messages.
 */
export const registerProjectsScript =
  String.raw`"""Makes flyteadmin's projects equal the project specs (rendered by flyte-gkp; do not edit)."""` +
  String.raw`
import http.client
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ARCHIVED = "ARCHIVED"
# Answers that mean flyteadmin (or the Service in front of it) is not up yet: worth another try.
NOT_YET = {502, 503, 504}
# One page for any realistic number of projects; a token in the answer is followed all the same.
PAGE = 10000


class Failure(Exception):
    """flyteadmin refused or did not answer: the message says what it said."""


def text(value):
    """A spec's text, quoted and escaped for the log: nothing in it can start a new line."""
    return json.dumps(value, ensure_ascii=True)


class Admin:
    def __init__(self, url, wait_seconds, request_timeout):
        self.url = url.rstrip("/")
        self.wait_seconds = wait_seconds
        self.request_timeout = request_timeout

    def call(self, method, path, body=None):
        """The decoded JSON answer; retries with backoff while flyteadmin is not reachable yet."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        deadline = time.monotonic() + self.wait_seconds
        delay = 1.0
        while True:
            request = urllib.request.Request(self.url + path, data=data, method=method)
            request.add_header("Accept", "application/json")
            if data is not None:
                request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=self.request_timeout) as answer:
                    raw = answer.read()
                try:
                    return json.loads(raw.decode("utf-8") or "{}")
                except ValueError:
                    raise Failure("%s %s: answer is not JSON: %s" % (method, path, raw[:300]))
            except urllib.error.HTTPError as error:
                if error.code not in NOT_YET:
                    raise HttpError(method, path, error)
                reason = "HTTP %d" % error.code
            except (urllib.error.URLError, socket.timeout, ConnectionError, http.client.HTTPException) as error:
                reason = str(getattr(error, "reason", error)) or type(error).__name__
            if time.monotonic() + delay > deadline:
                raise Failure("flyteadmin at %s did not answer %s %s within %d s: %s"
                              % (self.url, method, path, self.wait_seconds, reason))
            print("flyteadmin not reachable yet (%s): next try in %d s" % (reason, delay), flush=True)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)

    def projects(self, filters=None):
        """Every project of one listing, following pagination tokens."""
        found, token = [], ""
        while True:
            query = {"limit": str(PAGE)}
            if token:
                query["token"] = token
            if filters:
                query["filters"] = filters
            answer = self.call("GET", "/api/v1/projects?" + urllib.parse.urlencode(query))
            page = answer.get("projects", []) if isinstance(answer, dict) else None
            if not isinstance(page, list) or not all(isinstance(p, dict) and "id" in p for p in page):
                raise Failure("GET /api/v1/projects: not a list of projects: %s" % text(answer)[:300])
            found.extend(page)
            next_token = answer.get("token", "")
            if not next_token or next_token == token:
                return found
            token = next_token


class HttpError(Failure):
    def __init__(self, method, path, error):
        self.code = error.code
        detail = error.read().decode("utf-8", "replace")
        try:
            detail = json.loads(detail).get("message") or detail
        except (ValueError, AttributeError):
            pass
        super().__init__("%s %s: HTTP %d: %s" % (method, path, error.code, detail.strip()[:500]))


def project_body(wanted, label, before):
    """The whole Project as UpdateProject must get it: name, description, labels (others' kept) and state."""
    values = dict(((before or {}).get("labels") or {}).get("values") or {})
    values[label["key"]] = label["value"]
    body = {
        "id": wanted["id"],
        "name": wanted["name"],
        "description": wanted["description"],
        "labels": {"values": values},
    }
    if wanted["archived"]:
        body["state"] = ARCHIVED
    return body


def current(project):
    """An answer's Project as UpdateProject would write it (ACTIVE answers carry no state)."""
    return {
        "id": project["id"],
        "name": project.get("name", ""),
        "description": project.get("description", ""),
        "labels": {"values": dict((project.get("labels") or {}).get("values") or {})},
        **({"state": ARCHIVED} if project.get("state") == ARCHIVED else {}),
    }


def ours(project, label):
    values = (project.get("labels") or {}).get("values") or {}
    return values.get(label["key"]) == label["value"]


def register(admin, wanted, existing, label):
    """What was done for one project of a spec, as one phrase."""
    before = existing.get(wanted["id"])
    body = project_body(wanted, label, before)
    if before is None:
        if wanted["archived"]:
            return "not in Flyte, every domain decommissioned: nothing to register"
        try:
            admin.call("POST", "/api/v1/projects", {"project": body})
            return "registered as %s" % text(wanted["name"])
        except HttpError as error:
            if error.code != 409:
                raise
    elif current(before) == dict(body, description=body["description"] or current(before)["description"]):
        # UpdateProject keeps a description sent empty: a spec without one cannot clear Flyte's.
        return "unchanged (%s)" % ("archived" if wanted["archived"] else "active")
    admin.call("PUT", "/api/v1/projects/" + urllib.parse.quote(wanted["id"], safe=""), body)
    if wanted["archived"]:
        return "archived: every domain is decommissioned"
    if before is not None and before.get("state") == ARCHIVED:
        return "re-activated as %s" % text(wanted["name"])
    return "updated to %s" % text(wanted["name"])


def archive(admin, project, label):
    body = current(project)
    if body.get("state") == ARCHIVED:
        return "unchanged (archived, no spec lists it)"
    body["state"] = ARCHIVED
    admin.call("PUT", "/api/v1/projects/" + urllib.parse.quote(project["id"], safe=""), body)
    return "archived: no spec lists it any more"


def main(argv):
    with open(argv[1], encoding="utf-8") as source:
        wanted = json.load(source)
    label = wanted["label"]
    admin = Admin(os.environ["FLYTEADMIN_URL"], float(os.environ.get("WAIT_SECONDS", "300")),
                  float(os.environ.get("REQUEST_TIMEOUT_SECONDS", "20")))
    failed = 0
    try:
        existing = {p["id"]: p for p in admin.projects() + admin.projects("eq(state,1)")}
    except Failure as error:
        print("cannot list flyteadmin's projects: %s" % error, flush=True)
        return 1
    listed = set()
    for project in wanted["projects"]:
        listed.add(project["id"])
        try:
            outcome = register(admin, project, existing, label)
        except Failure as error:
            failed += 1
            outcome = "FAILED: %s" % error
        print("project %s: %s" % (project["id"], outcome), flush=True)
    others = 0
    for project_id, project in sorted(existing.items()):
        if project_id in listed:
            continue
        if not ours(project, label):
            others += 1
            continue
        try:
            outcome = archive(admin, project, label)
        except Failure as error:
            failed += 1
            outcome = "FAILED: %s" % error
        print("project %s: %s" % (project_id, outcome), flush=True)
    print("%d project(s) of specs, %d not labelled %s=%s left alone, %d failed"
          % (len(wanted["projects"]), others, label["key"], label["value"], failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
`;
