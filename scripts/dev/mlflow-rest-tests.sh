#!/usr/bin/env bash
# Development run of MLflow's own REST tests (tests/tracking/test_rest_tracking.py and
# tests/tracking/test_model_registry.py) against `lakebox start` (acceptance 2 of the MLflow issue).
# Not part of CI: it needs an mlflow source checkout, which is never committed.
#
# Usage:
#   scripts/dev/mlflow-rest-tests.sh MLFLOW_SRC [OUT_DIR] [-- extra pytest args]
#
# MLFLOW_SRC: a directory holding mlflow's `tests/` and `pyproject.toml` (no `mlflow/` package: the
# tests import the installed client from .venv), e.g.
#   git --git-dir=<mlflow.git> archive <commit> tests pyproject.toml | tar -x -C /tmp/mlflow-src
#
# How the server is swapped (the way mlflow-go does it): a pytest plugin written to OUT_DIR replaces
# `tests.tracking.integration_test_utils.ServerThread` and `_init_server` (the two ways those test
# modules start MLflow's own server) before the test modules are imported. Each test gets a fresh
# `lakebox start` on a new temp data dir and a free port; the fixtures' in-process store setup still
# runs but nothing talks to it. MLflow's fixtures are parametrized over the "file" and "sqlalchemy"
# backends of the Python server; both would hit the same Lakebox, so the "file" copies are
# deselected. Lakebox requires its token: the client gets MLFLOW_TRACKING_TOKEN, and raw `requests`
# calls to the server (the tests' _send_rest_tracking_post_request) get the same bearer header.
#
# Results: OUT_DIR/junit.xml, OUT_DIR/pytest.log and a summary line per outcome.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
src=$(cd "${1:?usage: $0 MLFLOW_SRC [OUT_DIR] [-- pytest args]}" && pwd)
shift
out=$(mktemp -d /tmp/mlflow-rest-tests.XXXXXX)
if [[ $# -gt 0 && $1 != "--" ]]; then
  out=$1
  shift
fi
[[ ${1:-} == "--" ]] && shift
mkdir -p "$out"
py="$repo/.venv/bin/python"
"$py" -c 'import pytest, pytest_timeout' 2>/dev/null || "$py" -m pip install -q -r requirements/mlflow.txt

cat >"$out/lakebox_mlflow_override.py" <<'PY'
"""pytest plugin: MLflow's REST test fixtures start `lakebox start` instead of MLflow's server."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

_REPO = os.environ["LAKEBOX_REPO"]
_TOKENS: dict[str, str] = {}
_POOL: list = []
_POOL_SIZE = int(os.environ.get("LAKEBOX_POOL", "2"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Lakebox:
    """`lakebox start` on a fresh data dir; a context manager yielding the server URL."""

    def __init__(self, *_args, **_kwargs):
        self.proc = None
        self.dir = None

    def spawn(self):
        self.dir = tempfile.mkdtemp(prefix="lakebox-mlflow-rest-")
        self.port = _free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        self.proc = subprocess.Popen(
            ["node", os.path.join(_REPO, "packages/cli/bin/lakebox.js"), "start", "--port", str(self.port),
             "--spark-connect-port", "0", "--data", os.path.join(self.dir, "data")],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        return self

    def __enter__(self) -> str:
        # Starting Lakebox takes seconds: servers for the next tests start while this one runs.
        spare = _POOL.pop(0) if _POOL else _Lakebox().spawn()
        while len(_POOL) < _POOL_SIZE:
            _POOL.append(_Lakebox().spawn())
        self.__dict__.update(spare.__dict__)
        deadline = time.time() + 120
        text = ""
        while time.time() < deadline:
            with open(self.log.name) as f:
                text = f.read()
            if '"lakebox listening"' in text:
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"lakebox start exited:\n{text}")
            time.sleep(0.05)
        else:
            raise RuntimeError(f"lakebox start did not listen within 120 s:\n{text}")
        token = re.search(r"lbx_[0-9a-f]{64}", text).group(0)
        self.url = f"http://127.0.0.1:{self.port}"
        _TOKENS[self.url] = token
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
        return self.url

    def __exit__(self, *exc):
        _TOKENS.pop(getattr(self, "url", ""), None)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return None

    # ServerThread's API
    def start(self):
        self._url = self.__enter__()

    def shutdown(self):
        self.__exit__(None, None, None)


@contextlib.contextmanager
def _init_server(backend_uri, root_artifact_uri, extra_env=None, app=None, server_type="fastapi"):
    with _Lakebox() as url:
        yield url


_orig_request = requests.Session.request


def _request(self, method, url, *args, **kwargs):
    for base, token in list(_TOKENS.items()):
        if str(url).startswith(base):
            headers = dict(kwargs.get("headers") or {})
            if not any(k.lower() == "authorization" for k in headers):
                headers["Authorization"] = f"Bearer {token}"
            kwargs["headers"] = headers
    return _orig_request(self, method, url, *args, **kwargs)


def pytest_configure(config):
    # Names the fetched tests import that this installed mlflow does not have (version skew):
    # gateway provider tests are skipped when the provider backend is absent.
    import mlflow.utils.providers as providers

    if not hasattr(providers, "_PROVIDER_BACKEND_AVAILABLE"):
        providers._PROVIDER_BACKEND_AVAILABLE = False

    import tests.tracking.integration_test_utils as itu

    itu.ServerThread = _Lakebox
    itu._init_server = _init_server
    requests.Session.request = _request


def pytest_unconfigure(config):
    for spare in _POOL:
        spare.__exit__(None, None, None)


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("store_type") == "file" or params.get("client") == "file":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
PY

cd "$src"
set +e
LAKEBOX_REPO="$repo" PYTHONPATH="$out:$src" MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 \
  "$py" -m pytest -p lakebox_mlflow_override -p no:cacheprovider -o addopts="" -q -rfEs \
  --timeout 120 --junitxml "$out/junit.xml" \
  tests/tracking/test_rest_tracking.py tests/tracking/test_model_registry.py "$@" 2>&1 | tee "$out/pytest.log"
rc=${PIPESTATUS[0]}
set -e
echo "results: $out/junit.xml, log: $out/pytest.log"
exit "$rc"
