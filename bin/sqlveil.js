#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=4
// Entry point for `npx sqlveil`: runs the compiled CLI (built by `npm ci` through the prepare script).
// Memory flags, for a streaming gateway's peak RSS (a masked 1M-row result, bench/masking-stream.sh):
// a 4 MB young generation (V8's default is 16) and one glibc malloc arena (the audit worker and V8's
// helper threads otherwise each grow their own) take it from 156 to 136-143 MB at the same speed.
// Run this file, not `node` on it.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
