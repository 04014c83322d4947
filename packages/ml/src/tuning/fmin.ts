import { MlErrors, V, mlError, resolveParams, type ParamSpecs } from '../core.js';
import { Rng } from '../data/rng.js';
import { fromInternal, sampleInternal, toInternal, type Space } from './space.js';
import { defaultTpe, suggestDimension, type TpeOptions } from './tpe.js';

/** Thrown by TrialContext.report when the pruner stops an unpromising trial. */
export class TrialPruned extends Error {
  constructor(readonly step: number) {
    super(`trial pruned at step ${step}`);
    this.name = 'TrialPruned';
  }
}

export interface TrialContext {
  readonly id: number;
  /**
   * Report an intermediate loss (e.g. after each boosting round or epoch). Throws TrialPruned
   * when the median pruner judges the trial unpromising: its loss at `step` is worse than the
   * median of the finished trials' losses at the same step.
   */
  report(step: number, loss: number): void;
}

export interface Trial {
  id: number;
  params: Record<string, unknown>;
  loss: number;
  status: 'ok' | 'pruned' | 'failed';
  error?: string;
  /** Reported intermediate losses by step. */
  intermediate: Map<number, number>;
}

export type TrialFn = (params: Record<string, unknown>, ctx: TrialContext) => Promise<number> | number;

export interface FminOptions {
  algo: 'tpe' | 'random';
  maxEvals: number;
  seed: number;
  /** Trials run at once (useful when the function itself uses worker threads or I/O). */
  parallelism: number;
  /** Stop the search after this many finished trials without a better loss (Hyperopt's no_progress_loss); 0 = never. */
  earlyStopRounds: number;
  /** Median pruning of unpromising trials through TrialContext.report. */
  pruning: boolean;
  /** Pruning only starts once this many trials have finished, and from this step on. */
  pruneAfterTrials: number;
  pruneFromStep: number;
  tpe: Partial<TpeOptions>;
}

const specs: ParamSpecs<FminOptions> = {
  algo: { doc: "'tpe' or 'random'", default: 'tpe', validate: V.oneOf('tpe', 'random') },
  maxEvals: { doc: 'number of trials', default: 50, validate: V.int(1) },
  seed: { doc: 'random seed', default: 42, validate: V.int(-2147483648, 4294967295) },
  parallelism: { doc: 'trials at once', default: 1, validate: V.int(1, 256) },
  earlyStopRounds: { doc: 'stop after this many trials without improvement (0 = off)', default: 0, validate: V.int(0) },
  pruning: { doc: 'median-prune unpromising trials', default: false },
  pruneAfterTrials: { doc: 'finished trials needed before pruning', default: 5, validate: V.int(1) },
  pruneFromStep: { doc: 'first step that can be pruned', default: 1, validate: V.int(0) },
  tpe: { doc: 'TPE settings: nStartup, gamma, nCandidates, priorWeight', default: {} as Partial<TpeOptions> },
};

export interface FminResult {
  best: Record<string, unknown>;
  bestLoss: number;
  trials: Trial[];
  /** Why the search ended. */
  stopped: 'maxEvals' | 'earlyStop';
}

/**
 * Minimise `fn` over `space` (Hyperopt's fmin): random search or TPE, optional parallel trials,
 * early stopping of the search and median pruning of unpromising trials. A trial that throws is
 * recorded as failed (loss Infinity) and the search goes on; if every trial fails, fmin throws.
 */
export async function fmin(fn: TrialFn, space: Space, options: Partial<FminOptions> = {}): Promise<FminResult> {
  const o = resolveParams('fmin', specs, options);
  const names = Object.keys(space);
  if (names.length === 0) throw mlError(MlErrors.INVALID_PARAM, 'fmin: the search space is empty');
  const tpe = { ...defaultTpe, ...o.tpe };
  const rng = new Rng(o.seed);
  const trials: Trial[] = [];
  const done: Trial[] = [];
  let bestLoss = Infinity;
  let sinceBest = 0;
  let stopped: FminResult['stopped'] = 'maxEvals';
  let started = 0;

  const suggest = (): Record<string, unknown> => {
    const params: Record<string, unknown> = {};
    for (const name of names) {
      const dim = space[name];
      let x: number;
      if (o.algo === 'random') x = sampleInternal(dim, rng);
      else {
        const hist = done
          .filter((t) => t.status !== 'failed')
          .map((t) => ({ x: toInternal(dim, t.params[name]), loss: t.loss }));
        x = suggestDimension(dim, hist, tpe, rng);
      }
      params[name] = fromInternal(dim, x);
    }
    return params;
  };

  const median = (step: number): number | undefined => {
    const vals = done.map((t) => t.intermediate.get(step)).filter((v): v is number => v !== undefined);
    if (vals.length < o.pruneAfterTrials) return undefined;
    vals.sort((a, b) => a - b);
    const m = vals.length >> 1;
    return vals.length % 2 ? vals[m] : (vals[m - 1] + vals[m]) / 2;
  };

  const runOne = async (): Promise<void> => {
    while (started < o.maxEvals && stopped === 'maxEvals') {
      const trial: Trial = { id: started++, params: suggest(), loss: Infinity, status: 'ok', intermediate: new Map() };
      trials.push(trial);
      const ctx: TrialContext = {
        id: trial.id,
        report(step: number, loss: number): void {
          trial.intermediate.set(step, loss);
          if (!o.pruning || step < o.pruneFromStep) return;
          const m = median(step);
          if (m !== undefined && loss > m) throw new TrialPruned(step);
        },
      };
      try {
        const loss = await fn(trial.params, ctx);
        if (typeof loss !== 'number' || Number.isNaN(loss)) {
          throw mlError(MlErrors.INVALID_DATA, `fmin: the objective returned ${String(loss)}, a number is required`);
        }
        trial.loss = loss;
      } catch (e) {
        if (e instanceof TrialPruned) {
          trial.status = 'pruned';
          trial.loss = trial.intermediate.get(e.step) ?? Infinity;
        } else {
          trial.status = 'failed';
          trial.error = e instanceof Error ? e.message : String(e);
        }
      }
      done.push(trial);
      if (trial.status === 'ok' && trial.loss < bestLoss) {
        bestLoss = trial.loss;
        sinceBest = 0;
      } else sinceBest++;
      if (o.earlyStopRounds > 0 && sinceBest >= o.earlyStopRounds) stopped = 'earlyStop';
    }
  };

  await Promise.all(Array.from({ length: Math.min(o.parallelism, o.maxEvals) }, () => runOne()));
  const ok = trials.filter((t) => t.status === 'ok');
  if (ok.length === 0) {
    const first = trials.find((t) => t.error)?.error ?? 'all trials were pruned';
    throw mlError(MlErrors.INVALID_DATA, `fmin: no trial succeeded (first error: ${first})`);
  }
  const best = ok.reduce((a, b) => (b.loss < a.loss ? b : a));
  return { best: best.params, bestLoss: best.loss, trials, stopped };
}
