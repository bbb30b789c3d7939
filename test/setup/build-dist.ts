// Vitest global setup: compiles src/ to dist/ before any test runs. The gateway's audit trail runs
// on a worker thread, and a worker loads JavaScript: tests that run the TypeScript sources start
// the compiled worker (src/audit/threaded-sink.ts), which must match the sources under test.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
