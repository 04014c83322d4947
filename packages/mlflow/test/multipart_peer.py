"""The real mlflow client's proxied multipart upload against Lakebox (driven by multipart.test.ts).

Env: MLFLOW_TRACKING_URI / MLFLOW_TRACKING_TOKEN, MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true and a
small MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE / MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE. Prints one
JSON line with what happened; asserts on the round trip.
"""

import hashlib
import json
import os
import sys
import tempfile

import mlflow
import mlflow.store.artifact.http_artifact_repo as http_repo
import requests
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

calls = {"parts": 0, "complete": 0, "single_put": 0}
_part = HttpArtifactRepository._upload_part
_complete = HttpArtifactRepository.complete_multipart_upload


def counting_part(*args, **kwargs):
    calls["parts"] += 1
    return _part(*args, **kwargs)


def counting_complete(self, *args, **kwargs):
    calls["complete"] += 1
    return _complete(self, *args, **kwargs)


_http_request = http_repo.http_request


def counting_http_request(host_creds, endpoint, method, *args, **kwargs):
    if method == "PUT":  # the single-request upload the client falls back to
        calls["single_put"] += 1
    return _http_request(host_creds, endpoint, method, *args, **kwargs)


http_repo.http_request = counting_http_request
HttpArtifactRepository._upload_part = staticmethod(counting_part)
HttpArtifactRepository.complete_multipart_upload = counting_complete

chunk = int(os.environ["MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE"])
tmp = tempfile.mkdtemp()
big = os.path.join(tmp, "weights.bin")
data = os.urandom(chunk * 3 + 12345)  # four parts, the last one short
with open(big, "wb") as f:
    f.write(data)

mlflow.set_experiment("multipart")
with mlflow.start_run() as run:
    mlflow.log_artifact(big, artifact_path="model")
    run_id = run.info.run_id

upload_calls = dict(calls)
assert upload_calls == {"parts": 4, "complete": 1, "single_put": 0}, upload_calls
back = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="model/weights.bin", dst_path=tmp + "/dl")
with open(back, "rb") as f:
    got = f.read()
assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest(), (len(got), len(data))

# the protocol by hand: a wrong ETag is refused, abort forgets the upload
repo = HttpArtifactRepository(mlflow.get_run(run_id).info.artifact_uri.replace(
    "mlflow-artifacts:", os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow-artifacts/artifacts"))
small = os.path.join(tmp, "part.bin")
with open(small, "wb") as f:
    f.write(b"x" * 10)
create = repo.create_multipart_upload(small, 1, "other")
cred = create.credentials[0]
r = requests.put(cred.url, data=b"x" * 10, headers=cred.headers)
assert r.status_code == 200 and r.headers.get("ETag"), (r.status_code, r.text)
r = requests.put(cred.url, data=b"x")  # no credentials: refused
assert r.status_code == 401, r.status_code
from mlflow.entities.multipart_upload import MultipartUploadPart  # noqa: E402

try:
    repo.complete_multipart_upload(small, create.upload_id, [MultipartUploadPart(1, '"0000"')], "other")
    raise AssertionError("a wrong ETag was accepted")
except Exception as e:  # noqa: BLE001
    wrong_etag = str(e)
    assert "ETag" in wrong_etag, wrong_etag
repo.abort_multipart_upload(small, create.upload_id, "other")
try:
    repo.complete_multipart_upload(small, create.upload_id, [MultipartUploadPart(1, r.headers.get("ETag"))], "other")
    raise AssertionError("an aborted upload completed")
except Exception as e:  # noqa: BLE001
    aborted = str(e)
    assert "does not exist" in aborted, aborted
names = [f.path for f in mlflow.MlflowClient().list_artifacts(run_id)]
print(json.dumps({"calls": upload_calls, "size": len(got), "listed": names, "wrong_etag": wrong_etag[:120], "aborted": aborted[:120]}))
sys.stdout.flush()
