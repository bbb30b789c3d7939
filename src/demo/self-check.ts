// `sqlveil demo --no-wait`: one query through the running gateway as the agent, to prove the
// whole path (token, gateway, embedded database) works. Skipped when psql is not installed.
import { runPsql } from './psql.js';
import type { RunningDemo } from './start-demo.js';

export interface SelfCheck {
  outcome: 'passed' | 'skipped' | 'failed';
  detail: string;
}

export const SELF_CHECK_SQL = 'select count(*) from clinic.clinics';
const EXPECTED = '2';

export async function selfCheck(demo: RunningDemo): Promise<SelfCheck> {
  const agent = demo.tokens[0];
  if (!agent) return { outcome: 'failed', detail: 'no demo token' };
  const r = await runPsql({ host: demo.gateway.host, port: demo.gateway.port, user: agent.user.subject, token: agent.token }, SELF_CHECK_SQL);
  if (!r.ran) return { outcome: 'skipped', detail: 'psql is not installed' };
  const got = r.stdout.trim();
  if (r.code === 0 && got === EXPECTED) return { outcome: 'passed', detail: `psql as ${agent.user.subject} through the gateway: ${SELF_CHECK_SQL} = ${got}` };
  const why = r.stderr.trim() || `psql exited with ${String(r.code)} and printed '${got}'`;
  return { outcome: 'failed', detail: `${SELF_CHECK_SQL} as ${agent.user.subject}, expected ${EXPECTED}: ${why}` };
}
