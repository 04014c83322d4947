import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '@lakebox/common';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/lakebox.js', import.meta.url));

describe('lakebox binary', () => {
  it('prints its version', async () => {
    const { stdout } = await run(process.execPath, [bin, '--version']);
    expect(stdout.trim()).toBe(VERSION);
  });
  it('prints help', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    expect(stdout).toContain('Usage: lakebox');
  });
  it('rejects an unknown command without a stack trace', async () => {
    const err = await run(process.execPath, [bin, 'no-such-command']).catch((e) => e);
    expect(err.code).not.toBe(0);
    expect(err.stderr).toMatch(/unknown command|too many arguments/);
    expect(err.stderr).not.toContain('    at ');
  });
});
