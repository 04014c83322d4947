"""Hyperopt's TPE and random search on the benchmark function used by @lakebox/ml's tuning tests.

Prints JSON: best loss per seed for tpe.suggest and rand.suggest (same space, same budget).
Usage: .venv/bin/python tests/peers/ml_tpe.py <max_evals> <seed> [<seed> ...]
"""

import json
import logging
import math
import sys

import numpy as np
from hyperopt import Trials, fmin, hp, rand, tpe

logging.getLogger("hyperopt").setLevel(logging.ERROR)


def bowl(p):
    return (math.log10(p["lr"]) + 2) ** 2 + (p["frac"] - 0.3) ** 2 * 4 + (0 if p["kind"] == "b" else 0.5)


space = {
    "lr": hp.loguniform("lr", math.log(1e-5), math.log(1)),
    "frac": hp.uniform("frac", 0, 1),
    "kind": hp.choice("kind", ["a", "b", "c"]),
}
max_evals = int(sys.argv[1])
out = {"tpe": [], "random": []}
for seed in sys.argv[2:]:
    for name, algo in (("tpe", tpe.suggest), ("random", rand.suggest)):
        trials = Trials()
        fmin(bowl, space, algo=algo, max_evals=max_evals, trials=trials, rstate=np.random.default_rng(int(seed)), show_progressbar=False)
        out[name].append(min(trials.losses()))
print(json.dumps(out))
