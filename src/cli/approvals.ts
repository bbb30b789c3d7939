// `sqlveil approvals list|show ID|approve ID [--reason R]|deny ID --reason R`: an approver's
// client for the gateway's admin API. The approver's JWT comes from --token or SQLVEIL_TOKEN and
// is sent only as the Authorization header, never printed.
import { parseArgs } from 'node:util';

const approvalsUsage = `Usage: sqlveil approvals <list|show ID|approve ID|deny ID> [options]

  list                       requests you may decide (pending and recent)
  show ID                    one request: who asked, the statement, votes, expiry
  approve ID [--reason R]    approve a request (a rule may need several approvers)
  deny ID --reason R         deny a request; the reason is shown to the client

  --admin URL      admin endpoint (default: http://$SQLVEIL_ADMIN_LISTEN or http://127.0.0.1:9187)
  --token JWT      your approver token (default: $SQLVEIL_TOKEN)
  --status S       list only: pending, approved, denied, used or expired
  --json           print the API's JSON answer
`;

interface ApprovalView {
  id: string;
  status: string;
  rule: string;
  role: string;
  subject: string;
  actor?: string;
  mode: string;
  approvers: string[];
  approvalsNeeded: number;
  approvals: { approver: string; decision: string; reason: string; at: string }[];
  sql: string;
  createdAt: string;
  expiresAt: string;
}

export async function runApprovals(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        admin: { type: 'string' },
        token: { type: 'string' },
        reason: { type: 'string' },
        status: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(approvalsUsage);
    return 0;
  }
  const [action, id, ...extra] = positionals;
  if (action === undefined) return usageError('say what to do: list, show, approve or deny');
  if (extra.length > 0) return usageError(`unexpected argument ${extra[0]}`);
  const token = (values.token ?? process.env.SQLVEIL_TOKEN ?? '').trim();
  if (token === '') return usageError('no approver token: pass --token or set SQLVEIL_TOKEN');
  const base = adminUrl(values.admin);

  let request: { method: string; path: string; body?: unknown };
  switch (action) {
    case 'list':
      if (id !== undefined) return usageError('list takes no id');
      request = { method: 'GET', path: `/approvals${values.status ? `?status=${encodeURIComponent(values.status)}` : ''}` };
      break;
    case 'show':
    case 'approve':
    case 'deny':
      if (id === undefined) return usageError(`${action} needs a request id (req_...)`);
      if (!/^[A-Za-z0-9_-]+$/.test(id)) return usageError(`not a request id: ${id}`);
      if (action === 'deny' && !values.reason?.trim()) return usageError('deny needs --reason: the client is told it');
      request =
        action === 'show'
          ? { method: 'GET', path: `/approvals/${id}` }
          : { method: 'POST', path: `/approvals/${id}/${action}`, body: values.reason === undefined ? {} : { reason: values.reason } };
      break;
    default:
      return usageError(`unknown action '${action}'`);
  }

  let res: Response;
  try {
    res = await fetch(new URL(request.path, base), {
      method: request.method,
      headers: { authorization: `Bearer ${token}`, ...(request.body ? { 'content-type': 'application/json' } : {}) },
      body: request.body ? JSON.stringify(request.body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    process.stderr.write(`sqlveil approvals: cannot reach the admin endpoint ${base}: ${(err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const message = body && typeof body === 'object' && 'message' in body ? String(body.message) : text.trim() || res.statusText;
    process.stderr.write(`sqlveil approvals: ${res.status} ${message}\n`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return 0;
  }
  if (action === 'list') {
    const list = (body as { approvals: ApprovalView[] }).approvals;
    process.stdout.write(list.length === 0 ? 'no approval requests\n' : `${list.map(line).join('\n')}\n`);
  } else {
    const view = body as ApprovalView;
    if (action !== 'show') process.stdout.write(`${action === 'approve' ? 'approved' : 'denied'} ${view.id}: now ${view.status}\n`);
    process.stdout.write(details(view));
  }
  return 0;
}

/** The admin address: --admin, else SQLVEIL_ADMIN_LISTEN (host:port), else the default. */
export function adminUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? (env.SQLVEIL_ADMIN_LISTEN ? env.SQLVEIL_ADMIN_LISTEN : 'http://127.0.0.1:9187');
  return /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
}

function line(v: ApprovalView): string {
  const votes = v.approvals.filter((a) => a.decision === 'approve').length;
  return `${v.id}  ${v.status.padEnd(8)}  ${v.rule}  ${v.subject}${v.actor ? ` (via ${v.actor})` : ''}  ${votes}/${v.approvalsNeeded}  ${oneLine(v.sql, 80)}`;
}

function details(v: ApprovalView): string {
  const lines = [
    `id:        ${v.id}`,
    `status:    ${v.status}`,
    `rule:      ${v.rule} (role ${v.role}, mode ${v.mode})`,
    `requester: ${v.subject}${v.actor ? ` via ${v.actor}` : ''}`,
    `approvers: ${v.approvers.join(', ')} (${v.approvalsNeeded} needed)`,
    `created:   ${v.createdAt}`,
    `expires:   ${v.expiresAt}`,
    `statement: ${v.sql}`,
    ...v.approvals.map((a) => `  ${a.decision} by ${a.approver} at ${a.at}${a.reason ? `: ${a.reason}` : ''}`),
  ];
  return `${lines.join('\n')}\n`;
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function usageError(message: string): number {
  process.stderr.write(`sqlveil approvals: ${message}\n\n${approvalsUsage}`);
  return 2;
}
