// `sqlveil start` as an operator runs it: it serves, and it stops cleanly and promptly on
// SIGTERM (a container stop), leaving no connection of its own open behind it.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDevKey } from '../../src/identity/dev-keys.js';
import { freePort, ISSUER, PG_URL, ROOT } from './harness.js';

const waitForPort = async (port: number, ms: number): Promise<boolean> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
};

describe('sqlveil start', () => {
  it('serves, then exits with status 0 soon after SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlveil-start-'));
    const key = await generateDevKey('ES256');
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify(key.publicJwks));
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'bin/sqlveil.js'), 'start', '--config', join(ROOT, 'rules/hipaa.yaml')], {
      env: {
        ...process.env,
        SQLVEIL_PG_LISTEN: `127.0.0.1:${port}`,
        SQLVEIL_PG_UPSTREAM: PG_URL,
        SQLVEIL_MYSQL_LISTEN: `127.0.0.1:${await freePort()}`,
        SQLVEIL_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
        SQLVEIL_JWKS: join(dir, 'jwks.json'),
        SQLVEIL_ISSUER: ISSUER,
        SQLVEIL_AUDIT_FILE: join(dir, 'audit.jsonl'),
        SQLVEIL_KAFKA_BROKERS: '',
        SQLVEIL_LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      expect(await waitForPort(port, 20_000)).toBe(true);
      const t0 = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      expect(code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
