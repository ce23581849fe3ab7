#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (run `npm run build` first; scripts/setup.sh does).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error(`prunekit: ${entry} not found. Build first: (cd ${root} && npm run build)`);
  process.exit(2);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
