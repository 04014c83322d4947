import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLakebox, type RunningLakebox } from '../support/lakebox.js';

// The web workspace in a real browser (Debian's Chromium, headless) against a real `lakebox start`
// with seeded data: a Delta table with history, an MLflow experiment with two runs, a registered
// model. Screenshots of every main page go to packages/web/test-artifacts/ (not committed).

const repo = fileURLToPath(new URL('../../', import.meta.url));
const shots = path.join(repo, 'packages/web/test-artifacts');
const PASSWORD = 'correct horse battery staple';
let server: RunningLakebox | undefined;
let browser: Browser | undefined;
let page: Page;
let url = '';
let token = '';

async function call(method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(url + p, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

async function sql(statement: string): Promise<void> {
  const r = await call('POST', '/api/2.0/sql/statements', { statement, wait_timeout: '30s' });
  if (r.status.state !== 'SUCCEEDED') throw new Error(`${statement}: ${JSON.stringify(r.status)}`);
}

const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });

/** Everything the page shows as text, for "no raw JSON or stack traces" checks. */
async function visibleText(): Promise<string> {
  return page.locator('body').innerText();
}
function expectNoRawErrors(text: string) {
  expect(text).not.toMatch(/"error_code"|\bat [\w.]+ \(.*:\d+:\d+\)|Traceback/);
}

const run: { ids: string[]; experimentId: string } = { ids: [], experimentId: '' };

beforeAll(async () => {
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  if (!fs.existsSync(path.join(repo, 'packages/web/dist/index.html')))
    throw new Error('packages/web/dist is missing: run `npm install` (or `npm run build -w @lakebox/web`) first');
  server = await startLakebox({ prefix: 'lbx-web-' });
  ({ base: url, token } = server);

  // a Delta table with three versions
  await sql(
    "CREATE TABLE main.default.trips (id BIGINT, city STRING COMMENT 'where the trip started', fare DOUBLE) USING DELTA COMMENT 'taxi trips'",
  );
  await sql("INSERT INTO main.default.trips VALUES (1, 'Oslo', 10.5), (2, 'Lima', 7.0), (3, 'Oslo', 3.25)");
  await sql("INSERT INTO main.default.trips VALUES (4, 'Pune', 5.5), (5, 'Lima', 12.0)");
  // a table built from it, for lineage
  await sql(
    'CREATE TABLE main.default.city_totals AS SELECT city, sum(fare) AS total FROM main.default.trips GROUP BY city',
  );

  // an experiment with two runs (params, metrics over steps, an artifact) and a registered model
  const { experiment_id } = await call('POST', '/api/2.0/mlflow/experiments/create', { name: 'trip-fares' });
  run.experimentId = experiment_id;
  for (const [i, alpha] of ['0.1', '0.5'].entries()) {
    const { run: r } = await call('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id,
      run_name: `ridge-${alpha}`,
      start_time: Date.now() - 60_000 + i,
    });
    const id = r.info.run_id as string;
    run.ids.push(id);
    await call('POST', '/api/2.0/mlflow/runs/log-batch', {
      run_id: id,
      params: [
        { key: 'alpha', value: alpha },
        { key: 'features', value: 'city,fare' },
      ],
      metrics: [0, 1, 2, 3, 4].flatMap((step) => [
        { key: 'loss', value: (1 + i) / (step + 1), timestamp: Date.now(), step },
        { key: 'rmse', value: 2 - step * 0.1 - i * 0.3, timestamp: Date.now(), step },
      ]),
      tags: [{ key: 'team', value: 'pricing' }],
    });
    const rel = String(r.info.artifact_uri).replace(/^mlflow-artifacts:\/?/, '');
    await call('PUT', `/api/2.0/mlflow-artifacts/artifacts/${rel}/notes.txt`, `alpha ${alpha} looked fine\n`);
    await call('PUT', `/api/2.0/mlflow-artifacts/artifacts/${rel}/eval/summary.json`, { alpha, best_step: 4 });
    await call(
      'PUT',
      `/api/2.0/mlflow-artifacts/artifacts/${rel}/eval/predictions.csv`,
      'city,predicted\nOslo,7.1\nLima,9.4\n',
    );
    await call('POST', '/api/2.0/mlflow/runs/update', { run_id: id, status: 'FINISHED', end_time: Date.now() });
  }
  await call('POST', '/api/2.0/mlflow/registered-models/create', { name: 'fare-model' });
  await call('POST', '/api/2.0/mlflow/model-versions/create', {
    name: 'fare-model',
    source: `runs:/${run.ids[0]}/model`,
    run_id: run.ids[0],
  });
  await call('POST', '/api/2.0/mlflow/model-versions/create', {
    name: 'fare-model',
    source: `runs:/${run.ids[1]}/model`,
    run_id: run.ids[1],
  });

  // a second user to grant privileges to
  await call('POST', '/api/2.0/preview/scim/v2/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'ana',
  });
  // the administrator gets a password, to sign in the way people do
  const me = await call('GET', '/api/2.0/preview/scim/v2/Me');
  await call('PATCH', `/api/2.0/preview/scim/v2/Users/${me.id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', path: 'password', value: PASSWORD }],
  });

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 820 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
});

describe('web workspace in a real browser', () => {
  it('signs in: a wrong password shows the server message, the right one opens the data explorer', async () => {
    await page.goto(url);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/Sign-in failed: .+/);
    expectNoRawErrors(await visibleText());
    await shot('01-sign-in');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Pick a table in the tree').waitFor();
    expect(await page.getByTestId('whoami').innerText()).toBe('admin');
  });

  it('browses to a table: columns, sample data, details, history and "show this version"', async () => {
    // the tree's search finds tables by column name too
    await page.getByLabel('Search tables').fill('fare');
    await page.locator('.tree-link', { hasText: 'main.default.trips' }).waitFor();
    await page.getByLabel('Search tables').fill('');
    await page.locator('.tree-link', { hasText: 'trips' }).click();
    await page.getByTestId('table-title').filter({ hasText: 'trips' }).waitFor();
    const cols = await page.getByTestId('columns').innerText();
    expect(cols).toContain('where the trip started');
    expect(cols).toMatch(/fare\s+double/i);
    await shot('02-table-columns');

    await page.getByRole('tab', { name: 'Sample data' }).click();
    const grid = page.getByTestId('sample-grid');
    await grid.waitFor();
    await expect.poll(() => grid.getByTestId('row-count').innerText()).toBe('5 rows');
    expect(await grid.innerText()).toContain('Pune');
    await shot('03-table-sample');

    await page.getByRole('tab', { name: 'Details' }).click();
    await expect.poll(() => page.getByTestId('details').innerText()).toMatch(/Files\s+2/);
    await shot('04-table-details');

    await page.getByRole('tab', { name: 'History' }).click();
    const history = page.getByTestId('history');
    await history.waitFor();
    const text = await history.innerText();
    expect(text).toContain('CREATE TABLE');
    expect(text).toContain('WRITE');
    await shot('05-table-history');
    await history
      .locator('tbody tr')
      .filter({ has: page.locator('td:first-child', { hasText: /^1$/ }) })
      .getByRole('button', { name: 'Show this version' })
      .click();
    await expect.poll(() => page.getByTestId('version-banner').innerText()).toContain('version 1');
    await expect.poll(() => page.getByTestId('sample-grid').getByTestId('row-count').innerText()).toBe('3 rows');
    expect(await page.getByTestId('sample-grid').innerText()).not.toContain('Pune');

    // permissions: grant SELECT to ana, then revoke it
    await page.getByRole('tab', { name: 'Permissions' }).click();
    await page.getByPlaceholder('user or group').fill('ana');
    await page.getByRole('button', { name: 'Grant' }).click();
    const perms = page.getByTestId('permissions');
    await expect.poll(() => perms.innerText()).toMatch(/ana\s+SELECT/);
    const granted = await call('GET', '/api/2.1/unity-catalog/permissions/table/main.default.trips');
    expect(granted.privilege_assignments).toContainEqual({ principal: 'ana', privileges: ['SELECT'] });
    await shot('05b-table-permissions');
    await perms.getByRole('button', { name: 'Revoke SELECT from ana' }).click();
    await page.getByText('No grants on this table').waitFor();

    // lineage: city_totals was built from trips
    await page.getByRole('tab', { name: 'Lineage' }).click();
    await expect.poll(() => page.locator('svg.lineage').textContent()).toContain('main.default.city_totals');
    await shot('05c-table-lineage');
    await page.locator('svg.lineage .lin-node', { hasText: 'city_totals' }).click();
    await page.getByTestId('table-title').filter({ hasText: 'city_totals' }).waitFor();
    await page.getByRole('tab', { name: 'Lineage' }).click();
    await expect.poll(() => page.locator('svg.lineage').textContent()).toContain('main.default.trips');
    expectNoRawErrors(await visibleText());
  });

  it('writes a query with completion, runs it, builds a chart, saves it with a parameter and re-runs it', async () => {
    await page.getByRole('link', { name: 'SQL editor', exact: true }).click();
    const editor = page.getByTestId('editor').locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.type('SELECT city, count(*) AS n, sum(fare) AS total FROM main.default.tr');
    const popup = page.locator('.cm-tooltip-autocomplete');
    // accept the completion with the mouse (CodeMirror ignores Enter for a moment after the list opens)
    await popup
      .locator('li', { hasText: /^trips/ })
      .first()
      .click();
    await page.keyboard.type(' WHERE ci');
    await popup.locator('li', { hasText: /^city/ }).first().click();
    await page.keyboard.type(' <> :skip_city GROUP BY city ORDER BY city');
    await page.keyboard.press('Escape');
    expect(await editor.innerText()).toBe(
      'SELECT city, count(*) AS n, sum(fare) AS total FROM main.default.trips WHERE city <> :skip_city GROUP BY city ORDER BY city',
    );

    // the :skip_city parameter is an input; run with Ctrl+Enter
    await page.getByLabel('Parameter skip_city').fill('Oslo');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+Enter');
    const grid = page.getByTestId('result-grid');
    await expect.poll(() => grid.getByTestId('row-count').innerText()).toBe('2 rows');
    expect(await grid.innerText()).toMatch(/Lima\s+2\s+19/);
    expect(await grid.innerText()).not.toContain('Oslo');
    await shot('06-sql-results');

    // sort by a column header
    await grid.getByRole('columnheader', { name: /total/ }).click();
    await grid.getByRole('columnheader', { name: /total/ }).click();
    const firstCity = await grid.locator('.grid-row').first().locator('[role=gridcell]').first().innerText();
    expect(firstCity).toBe('Lima');

    // CSV download of the result
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n').slice(0, 3)).toEqual(['city,n,total', 'Lima,2,19', 'Pune,1,5.5']);

    // chart builder: a bar chart of n and total by city, then a pie
    await page.getByRole('tab', { name: 'Chart' }).click();
    await page.getByTestId('echart').locator('canvas').waitFor();
    await shot('07a-sql-chart-bar');
    await page.getByLabel('Chart type').selectOption('pie');
    await page.getByLabel('Y column').selectOption('total');
    await page.getByTestId('echart').locator('canvas').waitFor();
    await shot('07-sql-chart');

    // save it (with the chart); the saved query keeps the :skip_city parameter
    await page.getByRole('button', { name: 'Save…' }).click();
    await page.getByLabel('Query name').fill('Trips by city');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('saved-list').getByText('Trips by city').waitFor();
    const saved = (await call('GET', '/api/2.0/lakebox/queries')).queries;
    expect(saved).toHaveLength(1);
    expect(saved[0].sql).toContain(':skip_city');
    expect(saved[0].chart).toMatchObject({ type: 'pie', x: 'city', y: ['total'] });

    // re-run the saved query, opened from the list into a fresh tab, with another value
    await page.getByRole('button', { name: 'New tab' }).click();
    await page.getByTestId('saved-list').getByText('Trips by city').click();
    await page.getByLabel('Parameter skip_city').fill('Lima');
    await page.getByLabel('Parameter skip_city').press('Enter');
    await page.getByRole('tab', { name: 'Results' }).click();
    const grid2 = page.getByTestId('result-grid');
    await expect.poll(() => grid2.innerText()).toMatch(/Oslo\s+2\s+13\.75/);
    expect(await grid2.innerText()).not.toContain('Lima');
    await shot('08-sql-saved-rerun');

    // a failing statement shows the server's message
    await page.getByRole('button', { name: 'New tab' }).click();
    await page.getByTestId('editor').locator('.cm-content').click();
    await page.keyboard.type('SELECT nope FROM main.default.trips');
    await page.keyboard.press('ControlOrMeta+Enter');
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/The statement failed: .*nope/i);
    expectNoRawErrors(await visibleText());

    // a long statement can be canceled
    await page.getByTestId('editor').locator('.cm-content').click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('SELECT count(*) FROM range(100000000000)');
    await page.keyboard.press('ControlOrMeta+Enter');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/Canceled/);
  });

  it('shows 100,000 rows in a virtualised grid', async () => {
    await page.getByRole('button', { name: 'New tab' }).click();
    await page.getByTestId('editor').locator('.cm-content').click();
    await page.keyboard.type('SELECT id, id * 2 AS twice FROM range(100000)');
    await page.keyboard.press('ControlOrMeta+Enter');
    const grid = page.getByTestId('result-grid');
    await expect.poll(() => grid.getByTestId('row-count').innerText(), { timeout: 120_000 }).toBe('100,000 rows');
    // only the visible rows are in the DOM
    expect(await grid.locator('.grid-row').count()).toBeLessThan(100);
    await grid.locator('.grid').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => grid.innerText()).toMatch(/100000\s+99999\s+199998/);
    expect(await grid.locator('.grid-row').count()).toBeLessThan(100);
    await shot('09-sql-100k-rows');
  });

  it('opens an experiment, filters and sorts its runs, opens a run and compares two runs', async () => {
    await page.getByRole('link', { name: 'Experiments' }).click();
    await page.getByTestId('experiments').getByRole('link', { name: 'trip-fares' }).click();
    const runs = page.getByTestId('runs');
    await runs.waitFor();
    await expect.poll(async () => runs.locator('tbody tr').count()).toBe(2);
    expect(await runs.locator('thead').innerText()).toMatch(/loss[\s\S]*rmse[\s\S]*alpha/);
    await shot('10-experiment-runs');

    await page.getByLabel('Filter runs').fill("params.alpha = '0.5' and metrics.rmse < 1.5");
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(async () => runs.locator('tbody tr').count()).toBe(1);
    expect(await runs.locator('tbody').innerText()).toContain('ridge-0.5');
    await page.getByLabel('Filter runs').fill('metrics.loss >');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('alert').waitFor();
    expectNoRawErrors(await visibleText());
    await page.getByLabel('Filter runs').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(async () => page.getByTestId('runs').locator('tbody tr').count()).toBe(2);

    // sort by loss ascending: ridge-0.1 (smaller loss) first
    await runs.locator('th', { hasText: 'loss' }).click();
    await runs.locator('th', { hasText: 'loss' }).click();
    await expect.poll(() => runs.locator('tbody tr').first().innerText()).toContain('ridge-0.1');

    // a run page: params, metric charts, artifacts
    await runs.getByRole('link', { name: 'ridge-0.1' }).click();
    await page.getByTestId('params-table').waitFor();
    expect(await page.getByTestId('params-table').innerText()).toMatch(/alpha\s+0\.1/);
    await shot('11-run-overview');
    await page.getByRole('tab', { name: /Metric charts/ }).click();
    await expect.poll(() => page.getByTestId('metric-chart').count()).toBe(2);
    await page.getByTestId('metric-chart').first().locator('canvas').waitFor();
    await shot('12-run-metrics');
    await page.getByRole('tab', { name: 'Artifacts' }).click();
    await page.getByRole('button', { name: /notes\.txt/ }).click();
    await expect.poll(() => page.locator('pre.preview').innerText()).toContain('alpha 0.1 looked fine');
    await page.getByRole('button', { name: /^eval/ }).click();
    await page.getByRole('button', { name: /summary\.json/ }).click();
    await expect.poll(() => page.locator('pre.preview').innerText()).toMatch(/"best_step": 4/);
    await page.getByRole('button', { name: /predictions\.csv/ }).click();
    await expect.poll(() => page.locator('.artifact-preview').getByTestId('row-count').innerText()).toBe('2 rows');
    expect(await page.locator('.artifact-preview').innerText()).toMatch(/Lima\s+9\.4/);
    await shot('13-run-artifacts');

    // compare both runs
    await page.locator('.crumbs').getByRole('link', { name: 'trip-fares' }).click();
    await page.getByTestId('runs').waitFor();
    await page.getByLabel('Select ridge-0.1').check();
    await page.getByLabel('Select ridge-0.5').check();
    await page.getByRole('button', { name: 'Compare (2)' }).click();
    const diff = page.getByTestId('param-diff');
    await diff.waitFor();
    expect(await diff.locator('tr.diff').innerText()).toMatch(/alpha\s+0\.1\s+0\.5/);
    await page.getByTestId('parallel-chart').locator('canvas').waitFor();
    await expect.poll(() => page.getByTestId('metric-chart').count()).toBe(2);
    await shot('14-compare-runs');
  });

  it('sets and removes a model alias and transitions a version', async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByTestId('models').getByRole('link', { name: 'fare-model' }).click();
    await page.getByTestId('versions').waitFor();
    await page.getByLabel('Alias', { exact: true }).fill('champion');
    await page.getByLabel('Alias version').selectOption({ label: 'version 1' });
    await page.getByRole('button', { name: 'Set alias' }).click();
    await expect.poll(() => page.getByTestId('aliases').innerText()).toContain('@champion → version 1');
    const byAlias = await call('GET', '/api/2.0/mlflow/registered-models/alias?name=fare-model&alias=champion');
    expect(byAlias.model_version.version).toBe('1');

    await page.getByLabel('Stage of version 2').selectOption('Staging');
    await expect.poll(() => page.getByRole('status').innerText()).toContain('Version 2 moved to Staging');
    const v2 = await call('GET', '/api/2.0/mlflow/model-versions/get?name=fare-model&version=2');
    expect(v2.model_version.current_stage).toBe('Staging');
    // the page shows the new stage once it has reloaded the versions
    await expect.poll(() => page.getByLabel('Stage of version 2').inputValue()).toBe('Staging');
    await shot('15-model');

    await page.getByLabel('Alias', { exact: true }).fill('challenger');
    await page.getByLabel('Alias version').selectOption({ label: 'version 2' });
    await page.getByRole('button', { name: 'Set alias' }).click();
    await expect.poll(() => page.getByTestId('aliases').innerText()).toContain('@challenger → version 2');
    await page.getByRole('button', { name: 'Remove alias challenger' }).click();
    await expect.poll(() => page.getByTestId('aliases').innerText()).not.toContain('challenger');
    expectNoRawErrors(await visibleText());
  });

  it('fits a small laptop screen', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByRole('link', { name: 'SQL editor', exact: true }).click();
    await page.getByTestId('editor').waitFor();
    await shot('16-narrow-sql');
    // evaluated in the page (a string: this file is type-checked without the DOM library)
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'Data', exact: true }).click();
    await page.locator('.tree-link', { hasText: 'trips' }).click();
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByTestId('history').waitFor();
    await shot('17-narrow-history');
    await page.setViewportSize({ width: 1366, height: 820 });
  });

  it('keeps the APIs authenticated and serves client routes to a reload', async () => {
    const anon = await fetch(`${url}/api/2.1/unity-catalog/catalogs`);
    expect(anon.status).toBe(401);
    await page.reload();
    await page.getByTestId('table-title').filter({ hasText: 'trips' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    // the session cookie is gone: a reload stays signed out
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
