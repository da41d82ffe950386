#!/usr/bin/env node
import { run } from '../dist/cli/lambda-kit.js';

await run();
