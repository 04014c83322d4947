// After `vite build`: write a .gz beside every text asset (served by @fastify/static's
// preCompressed option) and measure the JavaScript the first page load needs: the entry script
// and the chunks index.html preloads, gzip-compressed. Fails above the 300 KB budget.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const BUDGET = 300 * 1024;

for (const f of fs.readdirSync(path.join(dist, 'assets'))) {
  if (!/\.(js|css|svg|json)$/.test(f)) continue;
  const p = path.join(dist, 'assets', f);
  fs.writeFileSync(`${p}.gz`, zlib.gzipSync(fs.readFileSync(p), { level: 9 }));
}

const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const initial = [
  ...html.matchAll(/<script[^>]+src="\/?([^"]+\.js)"/g),
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/?([^"]+\.js)"/g),
].map((m) => m[1]);
let total = 0;
const lines = [];
for (const rel of new Set(initial)) {
  const raw = fs.readFileSync(path.join(dist, rel));
  const gz = zlib.gzipSync(raw, { level: 9 }).length;
  total += gz;
  lines.push(`  ${rel}  ${(raw.length / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzip`);
}
const lazy = fs
  .readdirSync(path.join(dist, 'assets'))
  .filter((f) => f.endsWith('.js') && !initial.includes(`assets/${f}`))
  .map((f) => `${f} ${(zlib.gzipSync(fs.readFileSync(path.join(dist, 'assets', f))).length / 1024).toFixed(1)} KB`);
console.log(`initial page load JavaScript (gzip): ${(total / 1024).toFixed(1)} KB of a ${BUDGET / 1024} KB budget`);
console.log(lines.join('\n'));
console.log(`lazy chunks (gzip): ${lazy.join(', ')}`);
if (total > BUDGET) {
  console.error('the initial JavaScript is over budget');
  process.exit(1);
}
