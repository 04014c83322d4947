"""Logistic-regression benchmark peer (see linear-run.sh).

gen <dir> <rows> <features>: a synthetic binary problem (Gaussian features with mixed scales and
  offsets, labels from a logistic model), 80/20 train/test, written as raw little-endian float64.
fit <dir> <threads> <C>: scikit-learn LogisticRegression(lbfgs) on the train part; prints JSON with the
  fit time, iterations, train objective and test log loss / AUC.
"""

import json
import os
import sys
import time

cmd, d = sys.argv[1], sys.argv[2]
if cmd == "fit":
    threads = sys.argv[3]
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = threads

import numpy as np  # noqa: E402

if cmd == "gen":
    rows, p = int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((rows, p))
    scale = np.exp(rng.uniform(-1.5, 1.5, p))
    offset = rng.uniform(-2, 2, p)
    x = x * scale + offset
    w = rng.standard_normal(p) / scale
    margin = (x - offset) @ w * 1.5 - 0.3
    y = (rng.random(rows) < 1 / (1 + np.exp(-margin))).astype(np.float64)
    ntr = int(rows * 0.8)
    x[:ntr].astype("<f8").tofile(os.path.join(d, "x_train.f64"))
    y[:ntr].astype("<f8").tofile(os.path.join(d, "y_train.f64"))
    x[ntr:].astype("<f8").tofile(os.path.join(d, "x_test.f64"))
    y[ntr:].astype("<f8").tofile(os.path.join(d, "y_test.f64"))
    json.dump({"rows": rows, "features": p}, open(os.path.join(d, "meta.json"), "w"))
    sys.exit(0)

import sklearn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss, roc_auc_score  # noqa: E402

meta = json.load(open(os.path.join(d, "meta.json")))
p = meta["features"]
xtr = np.fromfile(os.path.join(d, "x_train.f64"), dtype="<f8").reshape(-1, p)
ytr = np.fromfile(os.path.join(d, "y_train.f64"), dtype="<f8")
xte = np.fromfile(os.path.join(d, "x_test.f64"), dtype="<f8").reshape(-1, p)
yte = np.fromfile(os.path.join(d, "y_test.f64"), dtype="<f8")
C = float(sys.argv[4])
t0 = time.perf_counter()
c0 = time.process_time()
m = LogisticRegression(C=C, solver="lbfgs", max_iter=100).fit(xtr, ytr)
secs = time.perf_counter() - t0
cpu = time.process_time() - c0
ptr = m.predict_proba(xtr)[:, 1]
pte = m.predict_proba(xte)[:, 1]
n = len(ytr)
objective = log_loss(ytr, ptr) + 0.5 / (C * n) * float(np.sum(m.coef_**2))
print(
    json.dumps(
        {
            "sklearn": sklearn.__version__,
            "seconds": secs,
            "cpu_seconds": cpu,
            "iterations": int(m.n_iter_[0]),
            "objective": objective,
            "test_log_loss": float(log_loss(yte, pte)),
            "test_auc": float(roc_auc_score(yte, pte)),
        }
    )
)
