#!/usr/bin/env node
// Part of `npm run build`: the bench's Python runtime client is not TypeScript, so tsc leaves it
// behind; it goes beside the compiled Node one, in dist/bench/runtimes/.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
cpSync(`${root}src/bench/runtimes/python_runtime.py`, `${root}dist/bench/runtimes/python_runtime.py`);
