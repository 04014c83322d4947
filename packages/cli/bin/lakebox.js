#!/usr/bin/env node
// The `lakebox` command. Lakebox's packages are TypeScript run through tsx's loader, so no build
// step stands between a checkout and a running platform.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
