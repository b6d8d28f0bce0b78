"""A fake GitHub REST API on loopback for the `tfkms github` tests.

Implements exactly the endpoints tfkms calls, with GitHub's request and response shapes
(docs.github.com/rest: git refs, blobs, trees, commits; pulls, pulls/files, reviews and review
comments; issue comments and labels). It checks `Authorization: Bearer <token>`, JSON bodies and
their required fields (422 "Validation Failed" like GitHub), answers 404 for unknown refs, holds an
in-memory repository (branch -> commit -> tree of path -> content) and paginates every list with
`Link` headers, `page_size` items per page at most, so clients must follow them.
"""
from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "ghs_fake_token_for_tests"


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def _missing(resource: str, name: str) -> ApiError:
    return ApiError(422, "Validation Failed", [{"resource": resource, "code": "missing_field", "field": name}])


def _sha(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def pr_patch(before: str, after: str) -> str:
    """A file's `patch` as GitHub lists it: the unified diff's hunks, without the ---/+++ lines."""
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3))
    return "\n".join(lines[2:])


@dataclass
class Commit:
    sha: str
    tree: dict[str, str]  # path -> blob sha
    tree_sha: str
    parents: list[str]
    message: str


@dataclass
class FakeGitHub:
    owner: str = "acme"
    name: str = "infra"
    default_branch: str = "main"
    page_size: int = 2
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # branch -> commit sha
    pulls: list[dict[str, Any]] = field(default_factory=list)
    pull_files: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    issue_comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) as received
    fail_next: dict[str, ApiError] = field(default_factory=dict)  # "POST /pulls" -> its error, once
    base_url: str = ""
    _ids: int = 1000

    # -- seeding and reading, for tests --------------------------------------------------------
    def seed(self, branch: str, files: dict[str, str], message: str = "initial") -> str:
        parent = [self.refs[branch]] if branch in self.refs else []
        tree = dict(self.commits[parent[0]].tree) if parent else {}
        for path, text in files.items():
            tree[path] = self._blob(text.encode())
        self.refs[branch] = self._commit(tree, parent, message).sha
        return self.refs[branch]

    def files_of(self, branch: str) -> dict[str, str]:
        commit = self.commits[self.refs[branch]]
        return {path: self.blobs[sha].decode() for path, sha in commit.tree.items()}

    def add_pull(self, head: str, base: str, changed: dict[str, str]) -> dict[str, Any]:
        """A PR whose head branch changes `changed` (path -> new text) on top of `base`."""
        before = self.files_of(base)
        self.seed(head, changed, "feature")
        pr = self._new_pull(head, base, "feature", "")
        self.pull_files[pr["number"]] = [
            {"sha": self.commits[self.refs[head]].tree[path], "filename": path,
             "status": "modified" if path in before else "added", "additions": 0, "deletions": 0,
             "changes": 0, "patch": pr_patch(before.get(path, ""), text)} for path, text in changed.items()]
        return pr

    def labels_of(self, number: int) -> list[str]:
        return [label["name"] for label in self._pull(number)["labels"]]

    # -- in-memory git -------------------------------------------------------------------------
    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _blob(self, data: bytes) -> str:
        sha = _sha("blob", data)
        self.blobs[sha] = data
        return sha

    def _tree(self, entries: dict[str, str]) -> str:
        sha = _sha("tree", json.dumps(sorted(entries.items())).encode())
        self.trees[sha] = dict(entries)
        return sha

    def _commit(self, tree: dict[str, str], parents: list[str], message: str) -> Commit:
        tree_sha = self._tree(tree)
        sha = _sha("commit", json.dumps([tree_sha, parents, message, self._next_id()]).encode())
        self.commits[sha] = Commit(sha, tree, tree_sha, parents, message)
        return self.commits[sha]

    def _pull(self, number: int) -> dict[str, Any]:
        for pr in self.pulls:
            if pr["number"] == number:
                return pr
        raise ApiError(404, "Not Found")

    def _new_pull(self, head: str, base: str, title: str, body: str) -> dict[str, Any]:
        number = len(self.pulls) + 1
        pr = {"id": self._next_id(), "number": number, "state": "open", "title": title, "body": body,
              "html_url": f"https://github.com/{self.owner}/{self.name}/pull/{number}",
              "head": {"ref": head, "sha": self.refs[head], "label": f"{self.owner}:{head}"},
              "base": {"ref": base, "sha": self.refs[base], "label": f"{self.owner}:{base}"}, "labels": []}
        self.pulls.append(pr)
        return pr

    def _ref(self, branch: str) -> dict[str, Any]:
        sha = self.refs.get(branch)
        if sha is None:
            raise ApiError(404, "Not Found")
        return {"ref": f"refs/heads/{branch}", "node_id": "REF_x", "url": f"{self.base_url}/git/refs/heads/{branch}",
                "object": {"sha": sha, "type": "commit", "url": f"{self.base_url}/git/commits/{sha}"}}

    def _commit_json(self, commit: Commit) -> dict[str, Any]:
        return {"sha": commit.sha, "node_id": "C_x", "message": commit.message,
                "tree": {"sha": commit.tree_sha, "url": f"{self.base_url}/git/trees/{commit.tree_sha}"},
                "parents": [{"sha": p, "url": f"{self.base_url}/git/commits/{p}"} for p in commit.parents]}

    # -- endpoints -----------------------------------------------------------------------------
    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        prefix = f"/repos/{self.owner}/{self.name}"
        if not path.startswith(prefix):
            raise ApiError(404, "Not Found")
        route = path[len(prefix):]
        for pattern, verb, action in _ROUTES:
            match = re.fullmatch(pattern, route)
            if match and verb == method:
                if method in ("POST", "PATCH") and not isinstance(body, dict):
                    raise ApiError(400, "Problems parsing JSON")
                result: tuple[int, Any] = action(self, body, *[unquote(g) for g in match.groups()])
                return result
        raise ApiError(404, "Not Found")

    def get_repo(self, _body: Any) -> tuple[int, Any]:
        return 200, {"full_name": f"{self.owner}/{self.name}", "default_branch": self.default_branch}

    def get_ref(self, _body: Any, branch: str) -> tuple[int, Any]:
        return 200, self._ref(branch)

    def get_commit(self, _body: Any, sha: str) -> tuple[int, Any]:
        if sha not in self.commits:
            raise ApiError(404, "Not Found")
        return 200, self._commit_json(self.commits[sha])

    def post_blob(self, body: dict[str, Any]) -> tuple[int, Any]:
        if "content" not in body:
            raise _missing("Blob", "content")
        raw = body["content"]
        data = base64.b64decode(raw) if body.get("encoding") == "base64" else raw.encode()
        sha = self._blob(data)
        return 201, {"sha": sha, "url": f"{self.base_url}/git/blobs/{sha}"}

    def post_tree(self, body: dict[str, Any]) -> tuple[int, Any]:
        if "tree" not in body:
            raise _missing("Tree", "tree")
        entries = dict(self.trees[body["base_tree"]]) if body.get("base_tree") else {}
        if body.get("base_tree") and body["base_tree"] not in self.trees:
            raise ApiError(422, "base_tree is not a valid tree")
        for entry in body["tree"]:
            for name in ("path", "mode", "type"):
                if name not in entry:
                    raise _missing("Tree", name)
            if entry.get("sha") not in self.blobs:
                raise ApiError(422, "tree.sha is not a valid blob")
            entries[entry["path"]] = entry["sha"]
        sha = self._tree(entries)
        listing = [{"path": p, "mode": "100644", "type": "blob", "sha": s} for p, s in sorted(entries.items())]
        return 201, {"sha": sha, "url": f"{self.base_url}/git/trees/{sha}", "truncated": False, "tree": listing}

    def post_commit(self, body: dict[str, Any]) -> tuple[int, Any]:
        for name in ("message", "tree"):
            if name not in body:
                raise _missing("Commit", name)
        if body["tree"] not in self.trees or any(p not in self.commits for p in body.get("parents", [])):
            raise ApiError(422, "Tree SHA does not exist")
        commit = self._commit(self.trees[body["tree"]], list(body.get("parents", [])), body["message"])
        return 201, self._commit_json(commit)

    def post_ref(self, body: dict[str, Any]) -> tuple[int, Any]:
        for name in ("ref", "sha"):
            if name not in body:
                raise _missing("Reference", name)
        if not body["ref"].startswith("refs/heads/") or body["sha"] not in self.commits:
            raise ApiError(422, "Reference update failed")
        branch = body["ref"][len("refs/heads/"):]
        if branch in self.refs:
            raise ApiError(422, "Reference already exists")
        self.refs[branch] = body["sha"]
        return 201, self._ref(branch)

    def patch_ref(self, body: dict[str, Any], branch: str) -> tuple[int, Any]:
        if "sha" not in body:
            raise _missing("Reference", "sha")
        if branch not in self.refs:
            raise ApiError(422, "Reference does not exist")
        if not body.get("force") and self.refs[branch] not in self.commits[body["sha"]].parents:
            raise ApiError(422, "Update is not a fast forward")
        self.refs[branch] = body["sha"]
        for pr in self.pulls:
            if pr["head"]["ref"] == branch:
                pr["head"]["sha"] = body["sha"]
        return 200, self._ref(branch)

    def list_pulls(self, _body: Any, query: dict[str, str]) -> list[dict[str, Any]]:
        state = query.get("state", "open")
        return [pr for pr in self.pulls if (state == "all" or pr["state"] == state)
                and ("head" not in query or pr["head"]["label"] == query["head"])]

    def post_pull(self, body: dict[str, Any]) -> tuple[int, Any]:
        for name in ("head", "base"):
            if name not in body:
                raise _missing("PullRequest", name)
        if "title" not in body:
            raise _missing("PullRequest", "title")
        if body["head"] not in self.refs or body["base"] not in self.refs:
            raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": "head",
                                                       "code": "invalid"}])
        label = f"{self.owner}:{body['head']}"
        if any(pr["head"]["label"] == label and pr["state"] == "open" for pr in self.pulls):
            raise ApiError(422, "Validation Failed",
                           [{"resource": "PullRequest", "code": "custom",
                             "message": f"A pull request already exists for {label}."}])
        return 201, self._new_pull(body["head"], body["base"], body["title"], body.get("body") or "")

    def get_pull(self, _body: Any, number: str) -> tuple[int, Any]:
        return 200, self._pull(int(number))

    def patch_pull(self, body: dict[str, Any], number: str) -> tuple[int, Any]:
        pr = self._pull(int(number))
        for name in ("title", "body", "state", "base"):
            if name in body:
                pr[name] = body[name]
        return 200, pr

    def post_review(self, body: dict[str, Any], number: str) -> tuple[int, Any]:
        pr = self._pull(int(number))
        if body.get("event") not in ("APPROVE", "REQUEST_CHANGES", "COMMENT"):
            raise ApiError(422, "Unprocessable Entity", [{"resource": "PullRequestReview", "field": "event",
                                                          "code": "invalid"}])
        if "commit_id" in body and body["commit_id"] != pr["head"]["sha"]:
            raise ApiError(422, "Unprocessable Entity", [{"message": "commit_id is not the head"}])
        hunks = self._hunks(int(number))
        review = {"id": self._next_id(), "body": body.get("body") or "", "state": "COMMENTED",
                  "commit_id": pr["head"]["sha"], "user": {"login": "github-actions[bot]"},
                  "html_url": f"{pr['html_url']}#pullrequestreview-{self._ids}"}
        staged = []
        for comment in body.get("comments", []):
            for name in ("path", "body"):
                if name not in comment:
                    raise _missing("PullRequestReviewComment", name)
            line, start = comment.get("line"), comment.get("start_line", comment.get("line"))
            if comment.get("side", "RIGHT") != "RIGHT" or not any(
                    first <= start and line <= last for first, last in hunks.get(comment["path"], [])):
                raise ApiError(422, "Unprocessable Entity",
                               [{"message": "Pull request review thread line must be part of the diff"}])
            staged.append({"id": self._next_id(), "pull_request_review_id": review["id"], "path": comment["path"],
                           "line": line, "start_line": comment.get("start_line"), "side": "RIGHT",
                           "body": comment["body"], "commit_id": pr["head"]["sha"]})
        self.reviews.append({**review, "pull": int(number)})
        self.review_comments += [{**c, "pull": int(number)} for c in staged]
        return 200, review

    def _hunks(self, number: int) -> dict[str, list[tuple[int, int]]]:
        out: dict[str, list[tuple[int, int]]] = {}
        for item in self.pull_files.get(number, []):
            for m in re.finditer(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@", item.get("patch") or "", re.M):
                start, count = int(m.group(1)), int(m.group(2) or 1)
                out.setdefault(item["filename"], []).append((start, start + count - 1))
        return out

    def post_issue_comment(self, body: dict[str, Any], number: str) -> tuple[int, Any]:
        self._pull(int(number))
        if "body" not in body:
            raise _missing("IssueComment", "body")
        comment = {"id": self._next_id(), "body": body["body"], "user": {"login": "github-actions[bot]"},
                   "html_url": f"https://github.com/{self.owner}/{self.name}/pull/{number}#issuecomment-{self._ids}",
                   "issue": int(number)}
        self.issue_comments.append(comment)
        return 201, comment

    def patch_issue_comment(self, body: dict[str, Any], comment_id: str) -> tuple[int, Any]:
        if "body" not in body:
            raise _missing("IssueComment", "body")
        for comment in self.issue_comments:
            if comment["id"] == int(comment_id):
                comment["body"] = body["body"]
                return 200, comment
        raise ApiError(404, "Not Found")

    def post_labels(self, body: dict[str, Any], number: str) -> tuple[int, Any]:
        pr = self._pull(int(number))
        if not isinstance(body.get("labels"), list):
            raise _missing("Label", "labels")
        for name in body["labels"]:
            if name not in self.labels_of(int(number)):
                pr["labels"].append({"id": self._next_id(), "name": name, "color": "ededed"})
        return 200, pr["labels"]

    def delete_label(self, _body: Any, number: str, name: str) -> tuple[int, Any]:
        pr = self._pull(int(number))
        if name not in self.labels_of(int(number)):
            raise ApiError(404, "Label does not exist")
        pr["labels"] = [label for label in pr["labels"] if label["name"] != name]
        return 200, pr["labels"]

    # -- lists (paginated by the handler) ------------------------------------------------------
    def list_for(self, route: str, query: dict[str, str]) -> list[dict[str, Any]] | None:
        prefix = f"/repos/{self.owner}/{self.name}"
        if not route.startswith(prefix):
            return None
        route = route[len(prefix):]
        if route == "/pulls":
            return self.list_pulls(None, query)
        for pattern, items in ((r"/pulls/(\d+)/files", lambda n: self.pull_files.get(n, [])),
                               (r"/pulls/(\d+)/reviews", lambda n: [r for r in self.reviews if r["pull"] == n]),
                               (r"/pulls/(\d+)/comments",
                                lambda n: [c for c in self.review_comments if c["pull"] == n]),
                               (r"/issues/(\d+)/comments",
                                lambda n: [c for c in self.issue_comments if c["issue"] == n])):
            match = re.fullmatch(pattern, route)
            if match:
                self._pull(int(match.group(1)))
                return list(items(int(match.group(1))))
        return None


_ROUTES: list[tuple[str, str, Any]] = [
    (r"", "GET", FakeGitHub.get_repo),
    (r"/git/ref/heads/(.+)", "GET", FakeGitHub.get_ref),
    (r"/git/commits/([0-9a-f]{40})", "GET", FakeGitHub.get_commit),
    (r"/git/blobs", "POST", FakeGitHub.post_blob),
    (r"/git/trees", "POST", FakeGitHub.post_tree),
    (r"/git/commits", "POST", FakeGitHub.post_commit),
    (r"/git/refs", "POST", FakeGitHub.post_ref),
    (r"/git/refs/heads/(.+)", "PATCH", FakeGitHub.patch_ref),
    (r"/pulls", "POST", FakeGitHub.post_pull),
    (r"/pulls/(\d+)", "GET", FakeGitHub.get_pull),
    (r"/pulls/(\d+)", "PATCH", FakeGitHub.patch_pull),
    (r"/pulls/(\d+)/reviews", "POST", FakeGitHub.post_review),
    (r"/issues/(\d+)/comments", "POST", FakeGitHub.post_issue_comment),
    (r"/issues/comments/(\d+)", "PATCH", FakeGitHub.patch_issue_comment),
    (r"/issues/(\d+)/labels", "POST", FakeGitHub.post_labels),
    (r"/issues/(\d+)/labels/(.+)", "DELETE", FakeGitHub.delete_label),
]


def _handler(fake: FakeGitHub, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            with lock:
                fake.requests.append((self.command, url.path))
                try:
                    status, payload, headers = self._answer(url.path, query)
                except ApiError as exc:
                    status, headers = exc.status, {}
                    payload = {"message": exc.message, "documentation_url": "https://docs.github.com/rest"}
                    if exc.errors:
                        payload["errors"] = exc.errors
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                raise ApiError(401, "Bad credentials")
            if self.headers.get("Accept") != "application/vnd.github+json":
                raise ApiError(415, "Unsupported Media Type")
            if self.headers.get("X-GitHub-Api-Version") != "2022-11-28":
                raise ApiError(400, "Invalid API version")
            route = path[len(f"/repos/{fake.owner}/{fake.name}"):]
            failure = fake.fail_next.pop(f"{self.command} {route}", None)
            if failure is not None:
                raise failure
            length = int(self.headers.get("Content-Length") or 0)
            body = None
            if length:
                try:
                    body = json.loads(self.rfile.read(length))
                except ValueError:
                    raise ApiError(400, "Problems parsing JSON") from None
            if self.command == "GET":
                items = fake.list_for(path, query)
                if items is not None:
                    return self._page(path, query, items)
            status, payload = fake.handle(self.command, path, body)
            return status, payload, {}

        def _page(self, path: str, query: dict[str, str], items: list[Any]) -> tuple[int, Any, dict[str, str]]:
            size = min(int(query.get("per_page", 30)), fake.page_size)
            page = int(query.get("page", 1))
            chunk = [{k: v for k, v in item.items() if k not in ("pull", "issue")}
                     for item in items[(page - 1) * size:page * size]]
            headers = {}
            if page * size < len(items):
                rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
                headers["Link"] = (f'<{fake.base_url.split("/repos")[0]}{path}?{rest}&page={page + 1}>; rel="next", '
                                   f'<{fake.base_url.split("/repos")[0]}{path}?{rest}&page='
                                   f'{-(-len(items) // size)}>; rel="last"')
            return 200, chunk, headers

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

    return Handler


class Server:
    """`with Server(fake) as url:` serves `fake` on 127.0.0.1 (port 0) until the block ends."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake, threading.Lock()))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        fake.base_url = f"{self.url}/repos/{fake.owner}/{fake.name}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
