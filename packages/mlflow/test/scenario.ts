import { expect } from 'vitest';
import type { MlflowClient } from '../src/index.js';

/** One walk through every endpoint group with the TypeScript client (shared by the SQLite and PostgreSQL tests). */
export async function clientScenario(c: MlflowClient): Promise<void> {
  const exp = await c.createExperiment('ts-client', { tags: [{ key: 'k', value: 'v' }] });
  await c.setExperimentTag(exp, 'x', 'y');
  expect((await c.getExperiment(exp)).tags).toContainEqual({ key: 'x', value: 'y' });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await c.createRun(exp, { runName: `run${i}`, startTime: 1000 + i });
    ids.push(r.info.run_id);
    await c.logBatch(r.info.run_id, {
      metrics: [
        { key: 'rmse', value: 10 - i, step: 0 },
        { key: 'rmse', value: 5 - i, step: 1 },
      ],
      params: [{ key: 'depth', value: String(i) }],
      tags: [{ key: 'group', value: i < 3 ? 'a' : 'b' }],
    });
  }
  const s = await c.searchRuns([exp], {
    filter: "metrics.rmse <= 4 AND tags.group = 'a'",
    orderBy: ['metrics.rmse ASC'],
  });
  expect(s.runs.map((r: any) => r.info.run_name)).toEqual(['run2', 'run1']);
  const p1 = await c.searchRuns([exp], { orderBy: ['params.depth DESC'], maxResults: 3 });
  expect(p1.runs.map((r: any) => r.info.run_name)).toEqual(['run4', 'run3', 'run2']);
  const p2 = await c.searchRuns([exp], {
    orderBy: ['params.depth DESC'],
    maxResults: 3,
    pageToken: p1.next_page_token,
  });
  expect(p2.runs.map((r: any) => r.info.run_name)).toEqual(['run1', 'run0']);
  expect(p2.next_page_token).toBeUndefined();
  expect((await c.getMetricHistory(ids[0]!, 'rmse')).map((m) => m.value)).toEqual([10, 5]);
  await c.deleteRun(ids[4]!);
  expect((await c.searchRuns([exp])).runs).toHaveLength(4);
  expect((await c.searchRuns([exp], { runViewType: 'DELETED_ONLY' })).runs).toHaveLength(1);
  await c.restoreRun(ids[4]!);

  const run = await c.getRun(ids[0]!);
  await c.uploadArtifact(run.info.artifact_uri, 'dir/hello.txt', 'hi');
  expect((await c.downloadArtifact(run.info.artifact_uri, 'dir/hello.txt')).toString()).toBe('hi');
  expect(await c.listArtifacts(ids[0]!, 'dir')).toEqual([{ path: 'dir/hello.txt', is_dir: false, file_size: 2 }]);

  const lm = await c.createLoggedModel(exp, { name: 'model', sourceRunId: ids[0] });
  expect(lm.info.status).toBe('LOGGED_MODEL_PENDING');
  expect((await c.finalizeLoggedModel(lm.info.model_id)).info.status).toBe('LOGGED_MODEL_READY');
  expect((await c.searchLoggedModels([exp])).models).toHaveLength(1);

  await c.createRegisteredModel('reg');
  const v1 = await c.createModelVersion('reg', `models:/${lm.info.model_id}`, {
    modelId: lm.info.model_id,
    runId: ids[0],
  });
  expect(v1.version).toBe('1');
  expect(await c.getModelVersionDownloadUri('reg', '1')).toBe(lm.info.artifact_uri);
  const v2 = await c.createModelVersion('reg', `runs:/${ids[1]}/model`);
  expect(await c.getModelVersionDownloadUri('reg', v2.version)).toBe(
    `mlflow-artifacts:/${exp}/${ids[1]}/artifacts/model`,
  );
  await c.setRegisteredModelAlias('reg', 'prod', '2');
  expect((await c.getModelVersionByAlias('reg', 'prod')).version).toBe('2');
  await c.transitionModelVersionStage('reg', '1', 'Production');
  await c.transitionModelVersionStage('reg', '2', 'production', true);
  expect((await c.getModelVersion('reg', '1')).current_stage).toBe('Archived');
  expect((await c.getLatestVersions('reg', ['Production'])).map((v) => v.version)).toEqual(['2']);
  expect((await c.getLoggedModel(lm.info.model_id)).info.registrations).toEqual([{ name: 'reg', version: '1' }]);
  await c.renameRegisteredModel('reg', 'reg2');
  expect((await c.getRegisteredModel('reg2')).aliases).toEqual([{ alias: 'prod', version: '2' }]);
  expect((await c.searchModelVersions({ filter: "name = 'reg2'" })).model_versions).toHaveLength(2);
  await c.deleteModelVersion('reg2', '2');
  expect((await c.getRegisteredModel('reg2')).aliases).toEqual([]);
  await c.deleteRegisteredModel('reg2');
  await expect(c.getRegisteredModel('reg2')).rejects.toMatchObject({
    code: 'RESOURCE_DOES_NOT_EXIST',
    httpStatus: 404,
  });
}
