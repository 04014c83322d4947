"""scikit-learn reference results for @lakebox/ml's linear models, k-means and metrics.

Prints one JSON document on stdout: the datasets (scikit-learn's bundled ones) and what
scikit-learn fits on them with settings matching the TypeScript side (same objective, same
regularisation), plus sklearn.metrics values on fixed predictions.
Usage: .venv/bin/python tests/peers/ml_linear.py
"""

import json
import os
import warnings

# Small problems: one BLAS thread avoids oversubscribing a busy 2-core machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import sklearn
from sklearn import datasets, metrics
from sklearn.cluster import KMeans
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")


def arr(a):
    return np.asarray(a, dtype=float).ravel().tolist()


def scaled(x):
    return StandardScaler().fit_transform(x)


out = {"sklearn": sklearn.__version__, "datasets": {}, "logistic": [], "regression": [], "kmeans": [], "metrics": {}}


def add_dataset(name, x, y):
    out["datasets"][name] = {"n": int(x.shape[0]), "d": int(x.shape[1]), "x": arr(x), "y": arr(y)}


bc = datasets.load_breast_cancer()
iris = datasets.load_iris()
wine = datasets.load_wine()
digits = datasets.load_digits()
diab = datasets.load_diabetes()
add_dataset("breast_cancer", scaled(bc.data), bc.target)
add_dataset("breast_cancer_raw", bc.data, bc.target)
add_dataset("iris", iris.data, iris.target)
add_dataset("wine", scaled(wine.data), wine.target)
add_dataset("digits", scaled(digits.data), digits.target)
add_dataset("diabetes", diab.data, diab.target)


def fit_logistic(ds, x, y, C, l1_ratio=0.0, solver="lbfgs", fit_intercept=True, tol=1e-10):
    kw = dict(C=C, solver=solver, tol=tol, max_iter=20000, fit_intercept=fit_intercept)
    if l1_ratio > 0:
        kw["l1_ratio"] = l1_ratio
    m = LogisticRegression(**kw).fit(x, y)
    proba = m.predict_proba(x)
    out["logistic"].append(
        {
            "dataset": ds,
            "C": C,
            "l1_ratio": l1_ratio,
            "solver": solver,
            "tol": tol,
            "fit_intercept": fit_intercept,
            "coef": arr(m.coef_),
            "intercept": arr(m.intercept_),
            "accuracy": float(metrics.accuracy_score(y, m.predict(x))),
            "log_loss": float(metrics.log_loss(y, proba)),
        }
    )


d = out["datasets"]
X = lambda name: np.array(d[name]["x"]).reshape(d[name]["n"], d[name]["d"])  # noqa: E731
Y = lambda name: np.array(d[name]["y"])  # noqa: E731
fit_logistic("breast_cancer", X("breast_cancer"), Y("breast_cancer"), C=1.0)
fit_logistic("breast_cancer", X("breast_cancer"), Y("breast_cancer"), C=0.05, fit_intercept=False)
fit_logistic("breast_cancer", X("breast_cancer"), Y("breast_cancer"), C=0.5, l1_ratio=0.5, solver="saga", tol=1e-8)
fit_logistic("breast_cancer", X("breast_cancer"), Y("breast_cancer"), C=0.5, l1_ratio=1.0, solver="saga", tol=1e-7)
fit_logistic("iris", X("iris"), Y("iris"), C=1.0)
fit_logistic("wine", X("wine"), Y("wine"), C=0.3)
fit_logistic("digits", X("digits"), Y("digits"), C=0.1, tol=1e-6)

xd, yd = X("diabetes"), Y("diabetes")
for name, model, params in [
    ("ols", LinearRegression(), {}),
    ("ridge", Ridge(alpha=1.0), {"alpha": 1.0}),
    ("lasso", Lasso(alpha=0.1, tol=1e-12, max_iter=100000), {"alpha": 0.1}),
    ("elasticnet", ElasticNet(alpha=0.01, l1_ratio=0.5, tol=1e-12, max_iter=100000), {"alpha": 0.01, "l1_ratio": 0.5}),
]:
    model.fit(xd, yd)
    pred = model.predict(xd)
    out["regression"].append(
        {
            "model": name,
            "params": params,
            "coef": arr(model.coef_),
            "intercept": float(model.intercept_),
            "r2": float(metrics.r2_score(yd, pred)),
            "rmse": float(np.sqrt(metrics.mean_squared_error(yd, pred))),
        }
    )

for ds, k in [("iris", 3), ("wine", 3), ("digits", 10)]:
    km = KMeans(n_clusters=k, n_init=10, random_state=0, tol=1e-8, max_iter=1000).fit(X(ds))
    out["kmeans"].append({"dataset": ds, "k": k, "inertia": float(km.inertia_)})

# Metrics on fixed predictions (with ties), binary and multiclass.
rng = np.random.default_rng(0)
yb = (rng.random(500) < 0.4).astype(int)
score = np.round(np.clip(yb * 0.3 + rng.random(500) * 0.8, 0.001, 0.999), 2)  # rounding creates ties
pred_b = (score > 0.5).astype(int)
ym = rng.integers(0, 4, 400)
pm = np.where(rng.random(400) < 0.6, ym, rng.integers(0, 4, 400))
proba_m = rng.random((400, 4)) + np.eye(4)[ym]
proba_m = proba_m / proba_m.sum(axis=1, keepdims=True)
yr = rng.normal(size=300) * 3 + 1
pr = yr + rng.normal(size=300)
prec, rec, _ = metrics.precision_recall_curve(yb, score)
out["metrics"] = {
    "binary": {
        "y": arr(yb),
        "score": arr(score),
        "pred": arr(pred_b),
        "roc_auc": float(metrics.roc_auc_score(yb, score)),
        "average_precision": float(metrics.average_precision_score(yb, score)),
        "pr_auc_trapezoid": float(metrics.auc(rec, prec)),
        "log_loss": float(metrics.log_loss(yb, score)),
        "accuracy": float(metrics.accuracy_score(yb, pred_b)),
        "precision": float(metrics.precision_score(yb, pred_b)),
        "recall": float(metrics.recall_score(yb, pred_b)),
        "f1": float(metrics.f1_score(yb, pred_b)),
        "confusion": np.asarray(metrics.confusion_matrix(yb, pred_b)).tolist(),
    },
    "multiclass": {
        "y": arr(ym),
        "pred": arr(pm),
        "proba": arr(proba_m),
        "accuracy": float(metrics.accuracy_score(ym, pm)),
        "f1_macro": float(metrics.f1_score(ym, pm, average="macro")),
        "f1_weighted": float(metrics.f1_score(ym, pm, average="weighted")),
        "precision_weighted": float(metrics.precision_score(ym, pm, average="weighted")),
        "recall_weighted": float(metrics.recall_score(ym, pm, average="weighted")),
        "precision_macro": float(metrics.precision_score(ym, pm, average="macro")),
        "recall_macro": float(metrics.recall_score(ym, pm, average="macro")),
        "log_loss": float(metrics.log_loss(ym, proba_m)),
        "confusion": np.asarray(metrics.confusion_matrix(ym, pm)).tolist(),
    },
    "regression": {
        "y": arr(yr),
        "pred": arr(pr),
        "rmse": float(np.sqrt(metrics.mean_squared_error(yr, pr))),
        "mse": float(metrics.mean_squared_error(yr, pr)),
        "mae": float(metrics.mean_absolute_error(yr, pr)),
        "r2": float(metrics.r2_score(yr, pr)),
    },
}

print(json.dumps(out))
