/** Compare result rows from Lakebox and Spark (values already JSON-normalised on both sides). */

const NUM = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUM.test(v)) return Number(v);
  return undefined;
}

/**
 * Spark gives decimal results (as strings with their scale) where DuckDB computes a double, e.g.
 * decimal / int: such a double is equal when it rounds to Spark's value at Spark's scale. This is
 * the one tolerance beyond floating-point noise; docs/compat/sql-functions.md lists it.
 */
function decimalScale(v: unknown): number | undefined {
  return typeof v === 'string' && /^-?\d+\.\d+$/.test(v) ? v.split('.')[1].length : undefined;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b;
  const scale = typeof a === 'number' ? decimalScale(b) : undefined;
  if (scale !== undefined && Math.abs((a as number) - Number(b)) <= 0.5 * 10 ** -scale * (1 + 1e-9)) return true;
  const na = asNumber(a);
  const nb = asNumber(b);
  if (
    na !== undefined &&
    nb !== undefined &&
    (typeof a === 'number' || typeof b === 'number' || (typeof a === 'string' && typeof b === 'string' && a !== b))
  ) {
    if (na === nb) return true;
    const diff = Math.abs(na - nb);
    return diff <= 1e-9 * Math.max(Math.abs(na), Math.abs(nb)) || diff < 1e-12;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a as object).sort();
    const kb = Object.keys(b as object).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue((a as any)[k], (b as any)[k]));
  }
  return a === b;
}

/** A sort key that puts equal values (within tolerance of 10 significant digits) together. */
function key(v: unknown): string {
  const n = asNumber(v);
  if (n !== undefined) return `n${n.toPrecision(10)}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(key).join(',')}]`;
  if (typeof v === 'object')
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${k}:${key((v as any)[k])}`)
      .join(',')}}`;
  return `${typeof v}:${String(v)}`;
}

export function sameResult(
  lake: unknown[][],
  spark: unknown[][],
  ordered: boolean,
): { same: boolean; reason?: string } {
  if (lake.length !== spark.length) return { same: false, reason: `row count ${lake.length} vs ${spark.length}` };
  const sortRows = (rows: unknown[][]) => [...rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  const a = ordered ? lake : sortRows(lake);
  const b = ordered ? spark : sortRows(spark);
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length)
      return { same: false, reason: `row ${i}: ${a[i].length} vs ${b[i].length} columns` };
    for (let j = 0; j < a[i].length; j++) {
      if (!sameValue(a[i][j], b[i][j]))
        return {
          same: false,
          reason: `row ${i} column ${j}: ${JSON.stringify(a[i][j])} vs ${JSON.stringify(b[i][j])}`,
        };
    }
  }
  return { same: true };
}
