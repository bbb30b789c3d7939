// A throw-away PostgreSQL cluster on a spare port, configured with TLS (a test CA), and users
// that authenticate with SCRAM-SHA-256 and md5, for testing the gateway's upstream logins.
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run } from './harness.js';

export interface TestCluster {
  port: number;
  dir: string;
  caFile: string;
  users: { scram: { user: string; password: string }; md5: { user: string; password: string } };
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(base, v, 'bin', name))) return join(base, v, 'bin', name);
  return name; // on PATH
}

const isRoot = process.getuid?.() === 0;

/** Runs a server binary as the postgres user when we are root (initdb refuses root). */
function asPostgres(cmd: string, args: string[]) {
  if (!isRoot) return run(cmd, args, { timeoutMs: 120_000 });
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return run('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { timeoutMs: 120_000 });
}

async function openssl(args: string[]): Promise<void> {
  const r = await run('openssl', args);
  if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sqlveil-pgcluster-'));
  const data = join(dir, 'data');
  const port = await freePort();

  // A CA and a server certificate for 127.0.0.1 / localhost, so verify-full can pass.
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=sqlveil test CA', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt')]);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.csr')]);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await openssl(['x509', '-req', '-in', join(dir, 'server.csr'), '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', join(dir, 'san.ext'), '-out', join(dir, 'server.crt')]);

  chmodSync(join(dir, 'server.key'), 0o600);
  if (isRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    for (const f of ['server.key', 'server.crt', 'ca.crt']) chownSync(join(dir, f), uid, gid);
    chownSync(dir, uid, gid);
  }

  const init = await asPostgres(pgBin('initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=reject', '-E', 'UTF8', '--no-instructions']);
  if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const conf = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${dir}'`,
    'ssl = on',
    `ssl_cert_file = '${join(dir, 'server.crt')}'`,
    `ssl_key_file = '${join(dir, 'server.key')}'`,
    'fsync = off',
    'shared_buffers = 16MB',
    'max_connections = 30',
  ].join('\n');
  const hba = [
    'local all postgres trust',
    'hostssl all scram_user 127.0.0.1/32 scram-sha-256',
    'host all md5_user 127.0.0.1/32 md5',
    'host all all 127.0.0.1/32 reject',
  ].join('\n');
  const write = await asPostgres('/bin/sh', ['-c', `printf '%s\\n' "$1" >> ${data}/postgresql.conf && printf '%s\\n' "$2" > ${data}/pg_hba.conf`, 'sh', conf, hba]);
  if (write.code !== 0) throw new Error(`writing cluster config failed: ${write.stderr}`);
  const start = await asPostgres(pgBin('pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', 'start']);
  if (start.code !== 0) throw new Error(`pg_ctl start failed: ${start.stdout} ${start.stderr}`);

  const users = {
    scram: { user: 'scram_user', password: 'scram-secret-Ω-123' },
    md5: { user: 'md5_user', password: 'md5-secret-456' },
  };
  const sql = [
    `set password_encryption = 'scram-sha-256'`,
    `create user scram_user password '${users.scram.password}'`,
    `set password_encryption = 'md5'`,
    `create user md5_user password '${users.md5.password}'`,
    'grant pg_read_all_stats to scram_user, md5_user',
  ];
  for (const s of sql) {
    const r = await asPostgres(pgBin('psql'), ['-X', '-q', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', s]);
    if (r.code !== 0) throw new Error(`cluster setup (${s.split(' ')[0]}) failed: ${r.stderr}`);
  }
  return {
    port,
    dir,
    caFile: join(dir, 'ca.crt'),
    users,
    stop: async () => {
      await asPostgres(pgBin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
