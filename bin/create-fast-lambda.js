#!/usr/bin/env node
import { run } from '../dist/cli/create.js';

await run();
