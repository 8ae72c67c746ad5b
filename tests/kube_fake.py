"""A Kubernetes API server for Secrets, in-process over HTTP, recording every request.

Just enough of the real semantics for the enroller's client library: 404 Status for a
missing object, 409 on create-if-exists and on a stale resourceVersion, resourceVersion
bumped on every write.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets(?:/([^/?]+))?(?:\?.*)?$")


@dataclass
class Request:
    method: str
    path: str
    body: dict[str, Any] | None


@dataclass
class FakeKube:
    secrets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    version: int = 0

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append(Request(self.command, self.path, body))
                status, answer = fake.handle(self.command, self.path, body)
                self._reply(status, answer)

            do_GET = do_POST = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in {"POST", "PUT", "PATCH", "DELETE"}]

    @staticmethod
    def _status(code: int, reason: str, message: str) -> tuple[int, dict[str, Any]]:
        return code, {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "reason": reason,
            "message": message,
            "code": code,
        }

    def handle(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any]]:
        match = PATH.match(path)
        if match is None:
            return self._status(404, "NotFound", f"no route {path}")
        namespace, name = match.groups()
        if method == "GET" and name:
            found = self.secrets.get((namespace, name))
            return (200, found) if found else self._status(404, "NotFound", f"{name} not found")
        if method == "POST" and name is None and body is not None:
            key = (namespace, body["metadata"]["name"])
            if key in self.secrets:
                return self._status(409, "AlreadyExists", f"{key[1]} already exists")
            return 201, self._store(key, body)
        if method == "PUT" and name and body is not None:
            current = self.secrets.get((namespace, name))
            if current is None:
                return self._status(404, "NotFound", f"{name} not found")
            if body["metadata"].get("resourceVersion") != current["metadata"]["resourceVersion"]:
                return self._status(409, "Conflict", "the object has been modified")
            return 200, self._store((namespace, name), body)
        return self._status(405, "MethodNotAllowed", method)

    def _store(self, key: tuple[str, str], body: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        stored: dict[str, Any] = json.loads(json.dumps(body))
        stored["metadata"]["resourceVersion"] = str(self.version)
        stored["metadata"]["namespace"] = key[0]
        self.secrets[key] = stored
        return stored
