"""The real `mlflow` Python client against a Lakebox server.

Usage: MLFLOW_TRACKING_URI=http://127.0.0.1:PORT MLFLOW_TRACKING_TOKEN=... python mlflow_client.py OUT.json

Exercises tracking (fluent API and MlflowClient), artifacts through the proxied artifact API,
sklearn autolog, log_model with registration, aliases, stages, loading a registered model by
alias and predicting, and search_runs. Each step asserts on what the server returned; the
JSON summary written to OUT.json is checked again by packages/mlflow/test/python-client.test.ts.
"""

import json
import os
import sys
import tempfile
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mlflow  # noqa: E402
import numpy as np  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param, RunTag, ViewType  # noqa: E402
from mlflow.exceptions import MlflowException, RestException  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

out_path = sys.argv[1]
summary = {}
client = MlflowClient()

# ---------------------------------------------------------------- experiments
default = client.get_experiment("0")
assert default.name == "Default", default
exp_id = mlflow.create_experiment("lakebox-peer", tags={"team": "ml"})
exp = client.get_experiment_by_name("lakebox-peer")
assert exp.experiment_id == exp_id and exp.tags["team"] == "ml", exp
assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}", exp.artifact_location
client.set_experiment_tag(exp_id, "stage", "dev")
client.delete_experiment_tag(exp_id, "team")
assert "team" not in client.get_experiment(exp_id).tags
tmp_exp = client.create_experiment("to-rename")
client.rename_experiment(tmp_exp, "renamed")
assert client.get_experiment(tmp_exp).name == "renamed"
client.delete_experiment(tmp_exp)
assert client.get_experiment(tmp_exp).lifecycle_stage == "deleted"
assert [e.name for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)] == ["renamed"]
client.restore_experiment(tmp_exp)
found = client.search_experiments(filter_string="name LIKE 'lakebox%'")
assert [e.name for e in found] == ["lakebox-peer"], found
assert client.get_experiment_by_name("no-such-experiment") is None
try:
    mlflow.create_experiment("lakebox-peer")
    raise AssertionError("duplicate experiment accepted")
except MlflowException as e:
    assert e.error_code == "RESOURCE_ALREADY_EXISTS", e.error_code
summary["experiment_id"] = exp_id

# ---------------------------------------------------------------- fluent tracking + artifacts
mlflow.set_experiment("lakebox-peer")
with mlflow.start_run(run_name="manual") as run:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_params({"layers": 3, "opt": "adam"})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metrics({"acc": 0.9, "f1": 0.8})
    mlflow.set_tag("purpose", "peer-test")
    mlflow.set_tags({"a": "1", "b": "2"})
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "notes.txt")
        with open(p, "w") as f:
            f.write("hello lakebox")
        mlflow.log_artifact(p)
        os.makedirs(os.path.join(d, "many", "sub"))
        for name in ["x.txt", "sub/y.txt"]:
            with open(os.path.join(d, "many", name), "w") as f:
                f.write(name)
        mlflow.log_artifacts(os.path.join(d, "many"), artifact_path="many")
    mlflow.log_dict({"k": [1, 2, 3]}, "config/params.json")
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [2, 1, 3])
    mlflow.log_figure(fig, "plots/line.png")
    mlflow.log_text("some text", "text/t.txt")
    # write-once params: same value is fine, a different value is MLflow's error
    mlflow.log_param("alpha", 0.5)
    try:
        mlflow.log_param("alpha", 0.7)
        raise AssertionError("param overwrite accepted")
    except MlflowException as e:
        assert e.error_code == "INVALID_PARAMETER_VALUE", e.error_code
        assert "Changing param values is not allowed" in e.message, e.message
run_id = run.info.run_id
r = client.get_run(run_id)
assert r.info.status == "FINISHED" and r.info.run_name == "manual", r.info
assert r.data.params == {"alpha": "0.5", "layers": "3", "opt": "adam"}, r.data.params
assert r.data.metrics == {"loss": 0.2, "acc": 0.9, "f1": 0.8}, r.data.metrics
assert r.data.tags["purpose"] == "peer-test" and r.data.tags["b"] == "2"
hist = client.get_metric_history(run_id, "loss")
assert [(m.step, m.value) for m in hist] == [(i, 1.0 / (i + 1)) for i in range(5)], hist
top = sorted(a.path for a in client.list_artifacts(run_id))
assert top == ["config", "many", "notes.txt", "plots", "text"], top
assert sorted(a.path for a in client.list_artifacts(run_id, "many")) == ["many/sub", "many/x.txt"]
with tempfile.TemporaryDirectory() as d:
    local = client.download_artifacts(run_id, "notes.txt", d)
    assert open(local).read() == "hello lakebox"
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="many", dst_path=d)
    assert open(os.path.join(local, "sub", "y.txt")).read() == "sub/y.txt"
assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config/params.json") == {"k": [1, 2, 3]}
assert mlflow.artifacts.load_text(f"runs:/{run_id}/text/t.txt") == "some text"
png = [a for a in client.list_artifacts(run_id, "plots")][0]
assert png.path == "plots/line.png" and png.file_size > 1000, png
summary["manual_run"] = run_id

# ---------------------------------------------------------------- MlflowClient low level
r2 = client.create_run(exp_id, run_name="client-run", tags={"kind": "batch"})
rid = r2.info.run_id
t = int(time.time() * 1000)
client.log_batch(
    rid,
    metrics=[Metric("m", float(i), t + i, i) for i in range(1000)],
    params=[Param(f"p{i}", str(i)) for i in range(100)],
    tags=[RunTag(f"t{i}", str(i)) for i in range(100)],
)
client.log_metric(rid, "nan_metric", float("nan"))
client.set_tag(rid, "to_delete", "x")
client.delete_tag(rid, "to_delete")
client.update_run(rid, status="KILLED", name="client-run-2")
got = client.get_run(rid)
assert got.info.status == "KILLED" and got.info.run_name == "client-run-2"
assert got.data.metrics["m"] == 999.0 and len(got.data.params) == 100
assert np.isnan(got.data.metrics["nan_metric"])
assert "to_delete" not in got.data.tags
assert len(client.get_metric_history(rid, "m")) == 1000
# the client splits big batches itself (oversized raw requests: packages/mlflow/test/rest.test.ts)
client.log_batch(rid, metrics=[Metric("big", float(i), t, i) for i in range(2500)])
assert len(client.get_metric_history(rid, "big")) == 2500
client.delete_run(rid)
assert client.get_run(rid).info.lifecycle_stage == "deleted"
try:
    client.log_metric(rid, "x", 1.0)
    raise AssertionError("logging to a deleted run accepted")
except MlflowException as e:
    assert e.error_code == "INVALID_PARAMETER_VALUE"
client.restore_run(rid)
try:
    client.get_run("0" * 32)
    raise AssertionError("unknown run found")
except MlflowException as e:
    assert e.error_code == "RESOURCE_DOES_NOT_EXIST", e.error_code

# ---------------------------------------------------------------- autolog with scikit-learn
X, y = load_iris(return_X_y=True)
mlflow.sklearn.autolog(log_models=False)
with mlflow.start_run(run_name="autolog") as arun:
    LogisticRegression(max_iter=200, C=0.7).fit(X, y)
mlflow.sklearn.autolog(disable=True)
ar = client.get_run(arun.info.run_id)
assert ar.data.params["C"] == "0.7", ar.data.params
assert "training_score" in ar.data.metrics, ar.data.metrics
assert ar.data.tags.get("estimator_name") == "LogisticRegression", ar.data.tags
assert len(ar.inputs.dataset_inputs) >= 1, ar.inputs
summary["autolog_run"] = arun.info.run_id

# ---------------------------------------------------------------- log_model + registry
model = LogisticRegression(max_iter=200).fit(X, y)
with mlflow.start_run(run_name="train") as trun:
    mlflow.log_metric("accuracy", float(model.score(X, y)))
    info = mlflow.sklearn.log_model(model, name="model", registered_model_name="iris", input_example=X[:2])
assert str(info.registered_model_version) == "1", info.registered_model_version
lm = client.get_logged_model(info.model_id)
assert "READY" in str(lm.status), lm.status
assert lm.source_run_id == trun.info.run_id and lm.artifact_location.startswith("mlflow-artifacts:/"), lm
mv2 = mlflow.register_model(f"runs:/{trun.info.run_id}/model", "iris")
assert mv2.version == "2", mv2.version
client.set_registered_model_alias("iris", "champion", "1")
assert client.get_model_version_by_alias("iris", "champion").version == "1"
client.transition_model_version_stage("iris", "2", "Staging")
client.transition_model_version_stage("iris", "1", "Production")
latest = {v.current_stage: v.version for v in client.get_latest_versions("iris")}
assert latest == {"Staging": "2", "Production": "1"}, latest
loaded = mlflow.pyfunc.load_model("models:/iris@champion")
pred = loaded.predict(X[:5])
assert list(pred) == list(model.predict(X[:5])), pred
loaded2 = mlflow.pyfunc.load_model("models:/iris/2")
assert list(loaded2.predict(X[:5])) == list(pred)
loaded3 = mlflow.sklearn.load_model("models:/iris/Production")
assert list(loaded3.predict(X[:5])) == list(pred)
client.set_registered_model_tag("iris", "owner", "peer")
client.set_model_version_tag("iris", "1", "validated", "yes")
client.update_registered_model("iris", description="iris classifier")
client.update_model_version("iris", "2", description="second")
rm = client.get_registered_model("iris")
assert rm.description == "iris classifier" and rm.tags == {"owner": "peer"} and rm.aliases == {"champion": "1"}, rm
assert client.get_model_version("iris", "1").tags == {"validated": "yes"}
assert [m.name for m in client.search_registered_models(filter_string="name LIKE 'ir%'")] == ["iris"]
assert sorted(v.version for v in client.search_model_versions("name='iris'")) == ["1", "2"]
assert client.get_model_version_download_uri("iris", "1").startswith("mlflow-artifacts:/")
client.delete_registered_model_alias("iris", "champion")
try:
    client.get_model_version_by_alias("iris", "champion")
    raise AssertionError("deleted alias still resolves")
except MlflowException as e:
    assert e.error_code == "RESOURCE_DOES_NOT_EXIST"
client.create_registered_model("tmp-model")
client.rename_registered_model("tmp-model", "tmp-model-2")
client.delete_registered_model("tmp-model-2")
client.delete_model_version_tag("iris", "1", "validated")
client.delete_registered_model_tag("iris", "owner")
summary["registered_versions"] = [v.version for v in client.search_model_versions("name='iris'")]
summary["prediction"] = [int(x) for x in pred]

# ---------------------------------------------------------------- search_runs
search_exp = client.create_experiment("search")
for i in range(6):
    rr = client.create_run(search_exp, run_name=f"r{i}", tags={"parity": "even" if i % 2 == 0 else "odd"})
    client.log_metric(rr.info.run_id, "score", float(i))
    client.log_param(rr.info.run_id, "lr", f"0.{i}")
    client.set_terminated(rr.info.run_id)
df = mlflow.search_runs([search_exp], filter_string="metrics.score >= 2 and tags.parity = 'even'", order_by=["metrics.score DESC"])
assert list(df["tags.mlflow.runName"]) == ["r4", "r2"], df
runs = client.search_runs([search_exp], "params.lr LIKE '0.%' AND attributes.status = 'FINISHED'", order_by=["metrics.score ASC"], max_results=4)
assert [x.info.run_name for x in runs] == ["r0", "r1", "r2", "r3"] and runs.token, runs
more = client.search_runs([search_exp], "params.lr LIKE '0.%'", order_by=["metrics.score ASC"], max_results=4, page_token=runs.token)
assert [x.info.run_name for x in more] == ["r4", "r5"] and not more.token
names = [x.info.run_name for x in client.search_runs([search_exp], "attributes.run_name ILIKE 'R1%'")]
assert names == ["r1"], names
one = runs[0].info.run_id
assert [x.info.run_id for x in client.search_runs([search_exp], f"attributes.run_id IN ('{one}')")] == [one]
ds = client.search_runs([exp_id], "datasets.context = 'train'")
assert arun.info.run_id in [x.info.run_id for x in ds], ds
summary["search_ok"] = True

with open(out_path, "w") as f:
    json.dump(summary, f)
print("mlflow peer: all checks passed")
