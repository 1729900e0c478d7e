#!/usr/bin/env node
// The conveyor CLI. Runs the compiled CLI when there is one (dist/, from `npm run build`), else
// the TypeScript sources directly (Node ≥ 22.18 strips types).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(compiled) ? compiled : new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
