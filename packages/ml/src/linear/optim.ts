/**
 * Limited-memory quasi-Newton minimisation: L-BFGS for smooth objectives and OWL-QN (orthant-wise
 * L-BFGS, Andrew & Gao 2007) when an L1 term `sum_j l1[j] * |w_j|` is added.
 * Line search: backtracking with the Armijo condition (projected onto the orthant for OWL-QN).
 */

/** f(w) returning the value and writing the gradient into `grad`. */
export type Objective = (w: Float64Array, grad: Float64Array) => number | Promise<number>;

export interface MinimizeOptions {
  maxIter: number;
  /** Stop when the relative decrease of the objective over an iteration is below `tol` ... */
  tol: number;
  /** ... or when the largest |(pseudo-)gradient| entry is below `gtol`. */
  gtol?: number;
  /** History size. */
  m?: number;
  /** Per-coordinate L1 weights; enables OWL-QN. */
  l1?: Float64Array;
}

export interface MinimizeResult {
  w: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
  evaluations: number;
}

export async function minimize(f: Objective, w0: Float64Array, opts: MinimizeOptions): Promise<MinimizeResult> {
  const n = w0.length;
  const m = opts.m ?? 10;
  const l1 = opts.l1;
  const useL1 = l1 !== undefined && l1.some((v) => v > 0);
  const gtol = opts.gtol ?? 1e-12;
  let w = Float64Array.from(w0);
  let g = new Float64Array(n);
  let evaluations = 1;
  let fx = await f(w, g);
  let Fx = fx + (useL1 ? l1Norm(w, l1) : 0);
  const pg = new Float64Array(n);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  let wNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let converged = false;
  let iter = 0;
  for (; iter < opts.maxIter; iter++) {
    if (useL1) pseudoGradient(w, g, l1, pg);
    else pg.set(g);
    if (maxAbs(pg) <= gtol) {
      converged = true;
      break;
    }
    // Two-loop recursion: d = -H pg.
    for (let i = 0; i < n; i++) d[i] = -pg[i];
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], d);
      axpy(-alpha[j], Y[j], d);
    }
    if (k > 0) {
      const yy = dot(Y[k - 1], Y[k - 1]);
      scale(d, 1 / (rho[k - 1] * yy));
    }
    for (let j = 0; j < k; j++) {
      const beta = rho[j] * dot(Y[j], d);
      axpy(alpha[j] - beta, S[j], d);
    }
    if (useL1) {
      for (let i = 0; i < n; i++) if (d[i] * pg[i] >= 0) d[i] = 0;
    }
    let dirDeriv = dot(d, pg);
    if (!(dirDeriv < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -pg[i];
      dirDeriv = dot(d, pg);
      if (!(dirDeriv < 0)) {
        converged = true;
        break;
      }
    }
    let step = k === 0 ? Math.min(1, 1 / Math.sqrt(dot(d, d))) : 1;
    let Fnew = Infinity;
    let fnew = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) {
        let v = w[i] + step * d[i];
        if (useL1) {
          const orth = w[i] !== 0 ? Math.sign(w[i]) : -Math.sign(pg[i]);
          if (v * orth <= 0) v = 0;
        }
        wNew[i] = v;
      }
      fnew = await f(wNew, gNew);
      evaluations++;
      Fnew = fnew + (useL1 ? l1Norm(wNew, l1) : 0);
      let decrease = 0;
      for (let i = 0; i < n; i++) decrease += pg[i] * (wNew[i] - w[i]);
      if (Number.isFinite(Fnew) && Fnew <= Fx + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      converged = true; // no further progress is possible at machine precision
      break;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = wNew[i] - w[i];
      y[i] = gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const rel = (Fx - Fnew) / Math.max(Math.abs(Fx), Math.abs(Fnew), 1e-300);
    [w, wNew] = [wNew, w];
    [g, gNew] = [gNew, g];
    fx = fnew;
    Fx = Fnew;
    if (rel < opts.tol) {
      iter++;
      converged = true;
      break;
    }
  }
  return { w, value: Fx, iterations: iter, converged, evaluations };
}

function pseudoGradient(w: Float64Array, g: Float64Array, l1: Float64Array, out: Float64Array): void {
  for (let i = 0; i < w.length; i++) {
    const c = l1[i];
    if (w[i] > 0) out[i] = g[i] + c;
    else if (w[i] < 0) out[i] = g[i] - c;
    else if (g[i] + c < 0) out[i] = g[i] + c;
    else if (g[i] - c > 0) out[i] = g[i] - c;
    else out[i] = 0;
  }
}

function l1Norm(w: Float64Array, l1: Float64Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += l1[i] * Math.abs(w[i]);
  return s;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}
function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= a;
}
function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i]);
    if (v > m) m = v;
  }
  return m;
}
