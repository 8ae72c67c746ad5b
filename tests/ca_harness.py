"""The rendered CA, run for real on 127.0.0.1: fabric-ca-server started by the rendered
start script with the rendered config (ConfigMap contents written where the volume would
mount them), with ports mapped to free local ones. Can be stopped and started again."""

from __future__ import annotations

import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.tooling import free_port, rendered, tool


def wait_for(url: str, deadline: float, context: ssl.SSLContext | None = None) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, context=context, timeout=2):
                return
        except (OSError, urllib.error.URLError) as exc:
            last = exc
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer: {last}")


class LocalCA:
    def __init__(
        self,
        root: Path,
        registrar: tuple[str, str],
        org: str = "org1",
        network: str = "minimal",
        cluster: str = "local",
    ) -> None:
        server = tool("fabric-ca-server")
        config_map = rendered(network, cluster, org, "ConfigMap", f"{org}-ca-config")
        statefulset = rendered(network, cluster, org, "StatefulSet", f"{org}-ca")
        container = statefulset["spec"]["template"]["spec"]["containers"][0]
        self.command = container["command"]
        self.container_env = {e["name"] for e in container["env"]}
        self.config, self.home = root / "config", root / "home"
        self.config.mkdir(parents=True)
        self.home.mkdir()
        for key, text in config_map["data"].items():
            (self.config / key).write_text(text)
        self.port, self.ops = free_port(), free_port()
        self.log = root / "ca.log"
        self.env = {
            "PATH": f"{server.parent}:{os.environ['PATH']}",
            "FABRIC_CA_SERVER_HOME": str(self.home),
            "HLFC_CA_CONFIG_DIR": str(self.config),
            "CA_REGISTRAR_USERNAME": registrar[0],
            "CA_REGISTRAR_PASSWORD": registrar[1],
            # one unique port per listener on 127.0.0.1 instead of the pod's 7054/9443
            "FABRIC_CA_SERVER_PORT": str(self.port),
            "FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS": f"127.0.0.1:{self.ops}",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def operations(self) -> str:
        return f"http://127.0.0.1:{self.ops}"

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.home / "ca-cert.pem"))

    def start(self, wait: bool = True) -> None:
        shell, script = self.command
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [shell, str(self.config / Path(script).name)], env=self.env, stdout=log, stderr=log
            )
        if wait:
            self.wait_ready()

    def wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        wait_for(f"{self.operations}/healthz", deadline)
        wait_for(f"{self.url}/cainfo", deadline, self.context())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def running_ca(root: Path, registrar: tuple[str, str]) -> Iterator[LocalCA]:
    """A started LocalCA (the rendered org1 CA of minimal), stopped on the way out."""
    local = LocalCA(root, registrar)
    local.start()
    try:
        yield local
    finally:
        local.stop()
