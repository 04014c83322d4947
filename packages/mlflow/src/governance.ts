import type { Kysely } from 'kysely';
import type { Principal } from '@lakebox/catalog';
import { Authorizer, type AuthzScope, type Privilege, type Securable } from '@lakebox/catalog/authz';
import { LakeboxError } from '@lakebox/common';
import type { MlflowStore } from './store.js';
import type { Args } from './validate.js';

// Governance of the MLflow API: experiments and registered models are securables of the
// authorizer (packages/catalog/src/authz). Experiments: SELECT reads (runs, metrics, artifacts,
// logged models), MODIFY writes (runs, logging, tags, artifacts), MANAGE renames, deletes and
// restores. Registered models: EXECUTE reads (models, versions, download URIs), MODIFY writes
// (versions, tags, aliases, stages), MANAGE deletes and renames. Creators own what they create;
// the Default experiment (id 0) is shared by every signed-in user, as in MLflow. Lists show only
// what the caller can see.

type Need =
  | { kind: 'experiment'; privilege: Privilege; id: (a: Args) => Promise<string | undefined> }
  | { kind: 'model'; privilege: Privilege; name: (a: Args) => string | undefined }
  | { kind: 'none' };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const DEFAULT_EXPERIMENT = '0';

export const experimentSecurable = (id: string): Securable => ({ type: 'EXPERIMENT', name: String(id) });
export const modelSecurable = (name: string): Securable => ({ type: 'REGISTERED_MODEL', name });

function notPermitted(): LakeboxError {
  return new LakeboxError('PERMISSION_DENIED', 'User does not have permission to access this resource.', {
    httpStatus: 403,
  });
}

/** Checks before and filters after each MLflow route; ownership recorded on create. */
export class MlflowGuard {
  readonly authz: Authorizer;
  private readonly needs: Map<string, Need>;

  private readonly db: Kysely<any>;
  private readonly runExperiments = new Map<string, string>();

  constructor(
    db: unknown,
    private readonly store: MlflowStore,
  ) {
    this.db = db as Kysely<any>;
    this.authz = new Authorizer(db as never);
    const s = store;
    const run = async (a: Args) => {
      const id = str(a.run_id) ?? str(a.run_uuid);
      if (!id) return undefined;
      return this.runExperiment(id);
    };
    const exp = async (a: Args) =>
      str(a.experiment_id) ?? (a.experiment_id !== undefined ? String(a.experiment_id) : undefined);
    const newRun = async (a: Args) => (await exp(a)) ?? DEFAULT_EXPERIMENT;
    const logged = async (a: Args) => {
      const id = str(a.model_id);
      if (!id) return undefined;
      const m = (await s.getLoggedModel(id)) as { model: { info: { experiment_id: string } } };
      return String(m.model.info.experiment_id);
    };
    const exps = async (a: Args) => {
      const ids = Array.isArray(a.experiment_ids) ? a.experiment_ids : a.experiment_ids ? [a.experiment_ids] : [];
      return ids.map(String);
    };
    const e = (privilege: Privilege, id: (a: Args) => Promise<string | undefined>): Need => ({
      kind: 'experiment',
      privilege,
      id,
    });
    const m = (privilege: Privilege, field = 'name'): Need => ({
      kind: 'model',
      privilege,
      name: (a) => str(a[field]),
    });
    const many = (privilege: Privilege): Need => ({
      kind: 'experiment',
      privilege,
      id: async (a) => {
        // several experiments: check each here, report none to the single-id path
        for (const id of await exps(a)) await this.requireExperiment(a.__principal as never, privilege, id);
        return undefined;
      },
    });
    // several runs: SELECT on each one's experiment; ids of runs that do not exist are skipped
    // (they have no points: the store answers for them, after validating the request)
    const bulk = (field: string): Need => ({
      kind: 'experiment',
      privilege: 'SELECT',
      id: async (a) => {
        const v = a[field];
        const ids = Array.isArray(v) ? v : v ? [v] : [];
        for (const r of new Set(ids.slice(0, 100).map(String))) {
          let exp: string | undefined;
          try {
            exp = await run({ run_id: r });
          } catch (err) {
            if (err instanceof LakeboxError && err.code === 'RESOURCE_DOES_NOT_EXIST') continue;
            throw err;
          }
          await this.requireExperiment(a.__principal as never, 'SELECT', exp!);
        }
        return undefined;
      },
    });
    this.needs = new Map<string, Need>([
      ['/experiments/create', { kind: 'none' }],
      ['/experiments/search', { kind: 'none' }],
      ['/experiments/list', { kind: 'none' }],
      ['/experiments/get', e('SELECT', exp)],
      ['/experiments/get-by-name', { kind: 'none' }],
      ['/experiments/delete', e('MANAGE', exp)],
      ['/experiments/restore', e('MANAGE', exp)],
      ['/experiments/update', e('MANAGE', exp)],
      ['/experiments/set-experiment-tag', e('MODIFY', exp)],
      ['/experiments/delete-experiment-tag', e('MODIFY', exp)],
      ['/runs/create', e('MODIFY', newRun)],
      ['/runs/update', e('MODIFY', run)],
      ['/runs/delete', e('MODIFY', run)],
      ['/runs/restore', e('MODIFY', run)],
      ['/runs/get', e('SELECT', run)],
      ['/runs/search', many('SELECT')],
      ['/runs/log-metric', e('MODIFY', run)],
      ['/runs/log-parameter', e('MODIFY', run)],
      ['/runs/set-tag', e('MODIFY', run)],
      ['/runs/delete-tag', e('MODIFY', run)],
      ['/runs/log-batch', e('MODIFY', run)],
      ['/runs/log-inputs', e('MODIFY', run)],
      ['/runs/outputs', e('MODIFY', run)],
      ['/runs/log-model', e('MODIFY', run)],
      ['/metrics/get-history', e('SELECT', run)],
      ['/metrics/get-history-bulk', bulk('run_id')],
      ['/metrics/get-history-bulk-interval', bulk('run_ids')],
      ['/artifacts/list', e('SELECT', run)],
      ['/logged-models', e('MODIFY', newRun)],
      ['/logged-models/search', many('SELECT')],
      ['GET /logged-models/:model_id', e('SELECT', logged)],
      ['PATCH /logged-models/:model_id', e('MODIFY', logged)],
      ['DELETE /logged-models/:model_id', e('MODIFY', logged)],
      ['/logged-models/:model_id/tags', e('MODIFY', logged)],
      ['/logged-models/:model_id/tags/:tag_key', e('MODIFY', logged)],
      ['/logged-models/:model_id/params', e('MODIFY', logged)],
      ['/registered-models/create', { kind: 'none' }],
      ['/registered-models/get', m('EXECUTE')],
      ['/registered-models/rename', m('MANAGE')],
      ['/registered-models/update', m('MODIFY')],
      ['/registered-models/delete', m('MANAGE')],
      ['/registered-models/search', { kind: 'none' }],
      ['/registered-models/get-latest-versions', m('EXECUTE')],
      ['/registered-models/set-tag', m('MODIFY')],
      ['/registered-models/delete-tag', m('MODIFY')],
      ['POST /registered-models/alias', m('MODIFY')],
      ['DELETE /registered-models/alias', m('MODIFY')],
      ['GET /registered-models/alias', m('EXECUTE')],
      ['/model-versions/create', m('MODIFY')],
      ['/model-versions/get', m('EXECUTE')],
      ['/model-versions/update', m('MODIFY')],
      ['/model-versions/transition-stage', m('MODIFY')],
      ['/model-versions/delete', m('MANAGE')],
      ['/model-versions/search', { kind: 'none' }],
      ['/model-versions/get-download-uri', m('EXECUTE')],
      ['/model-versions/set-tag', m('MODIFY')],
      ['/model-versions/delete-tag', m('MODIFY')],
    ]);
  }

  /** The experiment of a run (one indexed lookup, remembered: a run never moves). */
  private async runExperiment(runId: string): Promise<string> {
    const known = this.runExperiments.get(runId);
    if (known !== undefined) return known;
    const r = (await this.db
      .selectFrom('mlflow_runs')
      .select('experiment_id')
      .where('run_uuid', '=', runId)
      .executeTakeFirst()) as { experiment_id: unknown } | undefined;
    if (!r) {
      throw new LakeboxError('RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found`, { httpStatus: 404 });
    }
    if (this.runExperiments.size > 100_000) this.runExperiments.clear();
    this.runExperiments.set(runId, String(r.experiment_id));
    return String(r.experiment_id);
  }

  private async requireExperiment(p: Principal, privilege: Privilege, id: string): Promise<void> {
    if (id === DEFAULT_EXPERIMENT) return;
    await this.authz.require(p, privilege, experimentSecurable(id));
  }

  /** Throw PERMISSION_DENIED unless `p` may call `url` (route pattern) with these arguments. */
  async before(method: string, url: string, a: Args, p: Principal): Promise<void> {
    const need = this.needs.get(`${method} ${url}`) ?? this.needs.get(url);
    if (!need) throw notPermitted(); // a route nobody classified is closed, not open
    if (need.kind === 'none') return;
    if (need.kind === 'model') {
      const name = need.name(a);
      if (name) await this.authz.require(p, need.privilege, modelSecurable(name));
      return;
    }
    const id = await need.id({ ...a, __principal: p as never });
    if (id !== undefined) await this.requireExperiment(p, need.privilege, id);
  }

  /** Record owners of what was created; drop from lists what the caller cannot see. */
  async after(url: string, a: Args, result: unknown, p: Principal): Promise<unknown> {
    const r = result as Record<string, any> | undefined;
    if (!r) return result;
    const scope = this.authz.scope(p);
    const seeExp = (s: AuthzScope, id: unknown) =>
      String(id) === DEFAULT_EXPERIMENT ? Promise.resolve(true) : s.check('SELECT', experimentSecurable(String(id)));
    switch (url) {
      case '/experiments/create':
        await this.authz.registerOwner(experimentSecurable(String(r.experiment_id)), p.name);
        return r;
      case '/registered-models/create':
        await this.authz.registerOwner(modelSecurable(String(a.name)), p.name);
        return r;
      case '/registered-models/rename': {
        const to = str(a.new_name);
        if (to) await this.authz.registerOwner(modelSecurable(to), p.name);
        return r;
      }
      case '/experiments/get-by-name':
        if (!(await seeExp(scope, r.experiment?.experiment_id))) {
          throw new LakeboxError('PERMISSION_DENIED', 'User does not have SELECT on this experiment.', {
            httpStatus: 403,
          });
        }
        return r;
      case '/experiments/search':
      case '/experiments/list':
        if (Array.isArray(r.experiments)) {
          const out = [];
          for (const x of r.experiments) if (await seeExp(scope, x.experiment_id)) out.push(x);
          r.experiments = out;
        }
        return r;
      case '/registered-models/search':
      case '/model-versions/search': {
        const key = url === '/registered-models/search' ? 'registered_models' : 'model_versions';
        if (Array.isArray(r[key])) {
          const out = [];
          for (const x of r[key]) if (await scope.check('EXECUTE', modelSecurable(String(x.name)))) out.push(x);
          r[key] = out;
        }
        return r;
      }
      default:
        return r;
    }
  }

  /**
   * Proxied artifacts live under `<experiment id>/...`: reading needs SELECT on the experiment,
   * writing MODIFY. Paths outside any experiment are for admins only.
   */
  async artifact(rel: string, p: Principal, write: boolean): Promise<void> {
    const first = rel.replace(/^\/+/, '').split('/')[0] ?? '';
    if (/^\d+$/.test(first)) {
      await this.requireExperiment(p, write ? 'MODIFY' : 'SELECT', first);
      return;
    }
    if (!p.isAdmin) throw notPermitted();
  }

  /** Root listing of the artifact store: only the experiments the caller can read. */
  async filterArtifactRoot<T extends { path: string }>(files: T[], p: Principal): Promise<T[]> {
    const scope = this.authz.scope(p);
    if (await scope.isAdmin()) return files;
    const out: T[] = [];
    for (const f of files) {
      const id = f.path.split('/')[0] ?? '';
      if (/^\d+$/.test(id) && (id === DEFAULT_EXPERIMENT || (await scope.check('SELECT', experimentSecurable(id)))))
        out.push(f);
    }
    return out;
  }
}
