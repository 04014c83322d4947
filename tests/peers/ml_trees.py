"""Reference side of the Lakebox tree tests and benchmark (LightGBM, XGBoost, scikit-learn).

  ml_trees.py datasets OUT            scikit-learn bundled datasets -> OUT/<name>_{train,test}.parquet,
                                      plus OUT/refs.json: LightGBM / sklearn forest / tree predictions
                                      on the test rows with the settings the Lakebox tests use.
  ml_trees.py flights OUT NROWS [--no-ref]  flights-3m.parquet (vega-datasets) -> features + label
                                      (delay > 15 min), first NROWS rows in time order; the first 80%
                                      train, the rest test; LightGBM reference as above.
  ml_trees.py gbt-bench OUT THREADS   LightGBM and XGBoost (hist) on OUT/flights_{train,test}.parquet:
                                      100 trees, 255 leaves, learning rate 0.1; prints JSON timings and AUC.
  ml_trees.py onnx MODEL.onnx X.json OUT.json    score with onnxruntime (X: rows, null = NaN)
  ml_trees.py mlflow MODEL_DIR X.json OUT.json   score with mlflow.pyfunc.load_model
Every feature is float64 with NaN for missing; the label column is `label`.
"""

import json
import os
import sys
import time

import numpy as np
import pandas as pd

SEED = 0
GBT_PARAMS = dict(
    learning_rate=0.1,
    num_leaves=31,
    min_data_in_leaf=20,
    min_sum_hessian_in_leaf=1e-3,
    lambda_l2=0.0,
    max_bin=255,
    num_threads=2,
    deterministic=True,
    force_col_wise=True,
    verbose=-1,
    seed=SEED,
)


def write(df, path):
    df.to_parquet(path, index=False)


def lgb_predict(task, xtr, ytr, xte, num_class=None, rounds=100, extra=None):
    import lightgbm as lgb

    params = dict(GBT_PARAMS)
    params.update(extra or {})
    if task == "binary":
        params["objective"] = "binary"
    elif task == "multiclass":
        params["objective"] = "multiclass"
        params["num_class"] = num_class
    else:
        params["objective"] = "regression"
    booster = lgb.train(params, lgb.Dataset(xtr, ytr), num_boost_round=rounds)
    p = booster.predict(xte)
    if task == "binary":
        p = np.stack([1 - p, p], axis=1)
    return p


def datasets(out):
    from sklearn import datasets as ds
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    os.makedirs(out, exist_ok=True)
    loaders = {
        "iris": (ds.load_iris, "multiclass"),
        "breast_cancer": (ds.load_breast_cancer, "binary"),
        "digits": (ds.load_digits, "multiclass"),
        "wine": (ds.load_wine, "multiclass"),
        "diabetes": (ds.load_diabetes, "regression"),
    }
    refs = {}
    for name, (load, task) in loaders.items():
        b = load()
        x = np.asarray(b.data, dtype=np.float64)
        y = np.asarray(b.target, dtype=np.float64)
        strat = y if task != "regression" else None
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=strat)
        cols = [f"f{j}" for j in range(x.shape[1])]
        for part, xx, yy in (("train", xtr, ytr), ("test", xte, yte)):
            df = pd.DataFrame(xx, columns=cols)
            df["label"] = yy
            write(df, os.path.join(out, f"{name}_{part}.parquet"))
        k = int(len(np.unique(y))) if task != "regression" else None
        r = {"task": task, "numClasses": k, "testLabel": yte.tolist()}
        r["lightgbm"] = lgb_predict(task, xtr, ytr, xte, k).tolist()
        if task == "regression":
            rf = RandomForestRegressor(n_estimators=100, max_features=1.0, random_state=SEED, n_jobs=2).fit(xtr, ytr)
            dt = DecisionTreeRegressor(max_depth=6, random_state=SEED).fit(xtr, ytr)
            r["sklearn_rf"] = rf.predict(xte).tolist()
            r["sklearn_dt"] = dt.predict(xte).tolist()
        else:
            rf = RandomForestClassifier(n_estimators=100, max_features="sqrt", random_state=SEED, n_jobs=2).fit(xtr, ytr)
            dt = DecisionTreeClassifier(max_depth=6, random_state=SEED).fit(xtr, ytr)
            r["sklearn_rf"] = rf.predict_proba(xte).tolist()
            r["sklearn_dt"] = dt.predict_proba(xte).tolist()
        refs[name] = r
    with open(os.path.join(out, "refs.json"), "w") as f:
        json.dump(refs, f)


def flights_frame(nrows):
    import pyarrow.parquet as pq

    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "node_modules", "vega-datasets", "data", "flights-3m.parquet")
    t = pq.read_table(path)
    if nrows < t.num_rows:
        t = t.slice(0, nrows)
    df = t.to_pandas()
    d = pd.to_datetime(df["date"])
    # airports as ordinal codes (sorted names) so every library sees the same numeric features
    origin = pd.Categorical(df["origin"])
    dest = pd.Categorical(df["destination"])
    feats = pd.DataFrame(
        {
            "month": d.dt.month.astype(np.float64),
            "day_of_month": d.dt.day.astype(np.float64),
            "day_of_week": d.dt.day_of_week.astype(np.float64),
            "day_of_year": d.dt.day_of_year.astype(np.float64),
            "hour": (d.dt.hour + d.dt.minute / 60.0).astype(np.float64),
            "distance": df["distance"].astype(np.float64),
            "origin": origin.codes.astype(np.float64),
            "destination": dest.codes.astype(np.float64),
        }
    )
    feats["label"] = (df["delay"] > 15).astype(np.float64)
    return feats


def flights(out, nrows, reference=True):
    os.makedirs(out, exist_ok=True)
    df = flights_frame(nrows)
    cut = int(len(df) * 0.8)
    write(df.iloc[:cut], os.path.join(out, "flights_train.parquet"))
    write(df.iloc[cut:], os.path.join(out, "flights_test.parquet"))
    if not reference:
        return
    tr = df.iloc[:cut]
    te = df.iloc[cut:]
    xtr = tr.drop(columns=["label"]).to_numpy()
    xte = te.drop(columns=["label"]).to_numpy()
    p = lgb_predict("binary", xtr, tr["label"].to_numpy(), xte)
    with open(os.path.join(out, "flights_refs.json"), "w") as f:
        json.dump({"testLabel": te["label"].tolist(), "lightgbm": p[:, 1].tolist()}, f)


def gbt_bench(out, threads):
    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.metrics import roc_auc_score

    tr = pd.read_parquet(os.path.join(out, "flights_train.parquet"))
    te = pd.read_parquet(os.path.join(out, "flights_test.parquet"))
    xtr = tr.drop(columns=["label"]).to_numpy()
    ytr = tr["label"].to_numpy()
    xte = te.drop(columns=["label"]).to_numpy()
    yte = te["label"].to_numpy()
    res = {"rows_train": len(tr), "rows_test": len(te), "threads": threads}

    params = dict(GBT_PARAMS)
    params.update(objective="binary", num_leaves=255, num_threads=threads)
    t = time.perf_counter()
    c = time.process_time()
    ds = lgb.Dataset(xtr, ytr)
    booster = lgb.train(params, ds, num_boost_round=100)
    res["lightgbm_seconds"] = time.perf_counter() - t
    res["lightgbm_cpu"] = time.process_time() - c
    res["lightgbm_auc"] = roc_auc_score(yte, booster.predict(xte))
    print(f"lightgbm: {res['lightgbm_seconds']:.1f} s, AUC {res['lightgbm_auc']:.4f}", file=sys.stderr, flush=True)

    t = time.perf_counter()
    c = time.process_time()
    dtr = xgb.DMatrix(xtr, ytr, nthread=threads)
    xparams = dict(
        objective="binary:logistic",
        tree_method="hist",
        grow_policy="lossguide",
        max_leaves=255,
        max_depth=0,
        eta=0.1,
        max_bin=255,
        min_child_weight=1e-3,
        nthread=threads,
        seed=SEED,
    )
    bst = xgb.train(xparams, dtr, num_boost_round=100)
    res["xgboost_seconds"] = time.perf_counter() - t
    res["xgboost_cpu"] = time.process_time() - c
    res["xgboost_auc"] = roc_auc_score(yte, bst.predict(xgb.DMatrix(xte, nthread=threads)))
    print(f"xgboost: {res['xgboost_seconds']:.1f} s, AUC {res['xgboost_auc']:.4f}", file=sys.stderr, flush=True)
    print(json.dumps(res))


def read_x(path):
    if path.endswith(".json"):
        with open(path) as f:
            return np.array(json.load(f), dtype=np.float64)  # null -> NaN
    return pd.read_parquet(path).to_numpy(dtype=np.float64)


def score_onnx(model, xpath, out):
    import onnxruntime as ort

    x = read_x(xpath)
    s = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    outs = s.run(None, {s.get_inputs()[0].name: x})
    res = {o.name: v.tolist() for o, v in zip(s.get_outputs(), outs)}
    with open(out, "w") as f:
        json.dump(res, f)


def score_mlflow(model_dir, xpath, out):
    import mlflow.pyfunc

    x = read_x(xpath)
    m = mlflow.pyfunc.load_model(model_dir)
    pred = m.predict(x)
    res = {k: np.asarray(v).tolist() for k, v in pred.items()}
    res["_flavors"] = sorted(m.metadata.flavors.keys())
    res["_input_schema"] = str(m.metadata.get_input_schema())
    with open(out, "w") as f:
        json.dump(res, f)


def main():
    cmd = sys.argv[1]
    if cmd == "datasets":
        datasets(sys.argv[2])
    elif cmd == "flights":
        flights(sys.argv[2], int(sys.argv[3]), "--no-ref" not in sys.argv)
    elif cmd == "gbt-bench":
        gbt_bench(sys.argv[2], int(sys.argv[3]))
    elif cmd == "onnx":
        score_onnx(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "mlflow":
        score_mlflow(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
