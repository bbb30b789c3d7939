// `sqlveil demo` with nothing else running: the embedded database, the gateway and the real psql.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';
import { formatBanner } from '../../src/demo/banner.js';
import { ensureDemoKey } from '../../src/demo/demo-key.js';
import { DEMO_ISSUER } from '../../src/demo/demo-gateway.js';
import { selfCheck } from '../../src/demo/self-check.js';
import { startDemo, type RunningDemo } from '../../src/demo/start-demo.js';
import { generateDevKey, mintDevToken } from '../../src/identity/dev-keys.js';
import { run } from './harness.js';

let workDir: string;
let demo: RunningDemo;

/** psql through the demo gateway, the way the banner tells people to connect. */
function psql(user: string, token: string, sql: string) {
  const conninfo = `host=127.0.0.1 port=${demo.gateway.port} dbname=postgres user=${user} connect_timeout=5`;
  return run('psql', ['-X', '-w', '-tA', '-d', conninfo, '-c', sql], { env: { PGPASSWORD: token, PGSSLMODE: 'prefer' }, timeoutMs: 20_000 });
}

function tokenFor(subject: string): string {
  const found = demo.tokens.find((t) => t.user.subject === subject);
  if (!found) throw new Error(`no demo token for ${subject}`);
  return found.token;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'sqlveil-demo-'));
  demo = await startDemo({ workDir, gatewayPort: 0, databasePort: 0 });
});
afterAll(async () => {
  await demo?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe('sqlveil demo', () => {
  it('serves the clinic data through the gateway to the agent', async () => {
    const r = await psql('agent-1', tokenFor('agent-1'), 'select count(*) from clinic.clinics');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2');
  });

  it('lets the agent and the DBA hold sessions at the same time; the agent sees names masked', async () => {
    const [agent, dba] = await Promise.all([
      psql('agent-1', tokenFor('agent-1'), 'select full_name from clinic.patients order by id limit 1'),
      psql('dba-1', tokenFor('dba-1'), 'select full_name from clinic.patients order by id limit 1'),
    ]);
    expect(agent.stdout.trim()).toMatch(/^h_[0-9a-f]{16}$/);
    expect(dba.stdout.trim()).toBe('Ada Quintero');
  });

  it('logs the agent in upstream as the least-privileged sqlveil_agent, the DBA as the superuser', async () => {
    const agent = await psql('agent-1', tokenFor('agent-1'), 'select current_user, session_user');
    expect(agent.stdout.trim(), agent.stderr).toBe('sqlveil_agent|sqlveil_agent');
    const dba = await psql('dba-1', tokenFor('dba-1'), 'select current_user');
    expect(dba.stdout.trim()).toBe('postgres');
    // The agent's own grants stop what the gateway would allow: a table outside its SELECT.
    const made = await psql('dba-1', tokenFor('dba-1'), 'create table public.demo_private (x int)');
    expect(made.stderr).toBe('');
    const denied = await psql('agent-1', tokenFor('agent-1'), 'select x from public.demo_private');
    expect(denied.stderr).toMatch(/ERROR/);
    // Switching itself back to the superuser does not outlive its own statement.
    await psql('agent-1', tokenFor('agent-1'), 'set session authorization postgres');
    const after = await psql('agent-1', tokenFor('agent-1'), 'select current_user');
    expect(after.stdout.trim()).toBe('sqlveil_agent');
  });

  it('refuses a token signed by another key, and a password that is no token', async () => {
    const stranger = await generateDevKey('ES256');
    const forged = await mintDevToken({ privateJwk: stranger.privateJwk, subject: 'agent-1', groups: ['agents'], ttl: '5m', issuer: DEMO_ISSUER, audience: 'sqlveil' });
    for (const password of [forged, 'not-a-token']) {
      const r = await psql('agent-1', password, 'select 1');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/FATAL/);
      expect(r.stdout).toBe('');
    }
  });

  it('writes the key to .demo with a .gitignore, and reuses it', async () => {
    const dir = join(workDir, '.demo');
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('*\n');
    expect((await stat(demo.files.privateKey)).mode & 0o777).toBe(0o600);
    expect(demo.files.keyCreated).toBe(true);
    const again = await ensureDemoKey(workDir);
    expect(again.created).toBe(false);
    expect(again.privateJwk.kid).toBe(JSON.parse(await readFile(demo.files.privateKey, 'utf8')).kid);
  });

  it('audits the sessions to .demo/audit.jsonl', async () => {
    await psql('dba-1', tokenFor('dba-1'), 'select 1');
    await vi.waitFor(async () => expect(await readFile(demo.files.audit, 'utf8')).toContain('dba-1'), { timeout: 5_000 });
  });

  it('prints a psql line per role that works as printed', async () => {
    const banner = formatBanner(demo, { cwd: workDir, rulesPath: 'rules/demo.yaml', waiting: true });
    expect(banner).toContain(`sqlveil token --key .demo/dev-key.private.jwk.json --sub agent-1 --groups agents --issuer ${DEMO_ISSUER}`);
    expect(banner).toContain('Ctrl-C');
    const line = new RegExp(`PGPASSWORD='([^']+)' psql "host=127\\.0\\.0\\.1 port=${demo.gateway.port} dbname=postgres user=(agent-1|dba-1)"`, 'g');
    const printed = [...banner.matchAll(line)];
    expect(printed.map((m) => m[2])).toEqual(['agent-1', 'dba-1']);
    for (const [, token, user] of printed) {
      const r = await psql(user as string, token as string, 'select current_database()');
      expect(r.stdout.trim()).toBe('postgres');
    }
  });

  it('passes its own self-check', async () => {
    expect(await selfCheck(demo)).toMatchObject({ outcome: 'passed' });
  });
});

describe('sqlveil demo command', () => {
  async function capture(args: string[], cwd: string) {
    let stdout = '';
    let stderr = '';
    vi.spyOn(process, 'cwd').mockReturnValue(cwd);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    try {
      return { code: await runDemo(args), stdout, stderr };
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('--no-wait starts, checks one query through the gateway and stops', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'sqlveil-demo-cli-'));
    try {
      const r = await capture(['--no-wait', '--port', '0'], cwd);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/self-check passed/);
      expect(r.stdout).toMatch(/stopped/);
      expect(r.code).toBe(0);
      expect(await readFile(join(cwd, '.demo', 'jwks.json'), 'utf8')).toMatch(/"keys"/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('explains its options, and rejects a bad port', async () => {
    const help = await capture(['--help'], workDir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--no-wait/);
    const bad = await capture(['--port', 'x'], workDir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port must be a number/);
  });
});
