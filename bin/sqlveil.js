#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072 node --max-semi-space-size=4
// Entry point for `npx sqlveil`: runs the compiled CLI (built by `npm ci` through the prepare script).
// Memory settings, for a streaming gateway's peak RSS (a masked 1M-row result, bench/masking-stream.sh):
// a 4 MB young generation (V8's default is 16); two glibc malloc arenas (the audit worker and V8's
// helper threads otherwise each grow their own) and a fixed trim threshold (freed memory goes back
// to the system instead of staying in the heap): 140-143 MB instead of 153-162, at the same speed
// (one arena gave 136-143 MB but cost pgbench -S 7%).
// Run this file, not `node` on it.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
