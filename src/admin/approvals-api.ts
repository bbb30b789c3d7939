// The approvals admin API: approvers list, show, approve and deny requests with their own JWT
// (`Authorization: Bearer <token>`), verified with the rules file's issuer, audience and keys.
//
//   GET  /approvals               requests the caller may decide or made: pending and recent
//   GET  /approvals/:id           one request
//   POST /approvals/:id/approve   {"reason": "..."} optional
//   POST /approvals/:id/deny      {"reason": "..."} required
//
// Errors are JSON {"error": code, "message": text}: 400, 401, 403, 404, 405, 409, 503.
// Tokens are never logged or echoed.
import type http from 'node:http';
import type { ApprovalService } from '../approvals/service.js';
import type { ApprovalRequest, RefusalCode } from '../approvals/types.js';
import { IdentityError, type TokenVerifier, type VerifiedIdentity } from '../identity/types.js';

export interface ApprovalsAdmin {
  service: ApprovalService;
  /** Verifies approvers' tokens. */
  approvers: TokenVerifier;
}

const MAX_BODY_BYTES = 16 * 1024;
const MAX_REASON_CHARS = 1000;
const ROUTE = /^\/approvals(?:\/([A-Za-z0-9_-]+)(?:\/(approve|deny))?)?\/?$/;

export function isApprovalsPath(path: string): boolean {
  return path === '/approvals' || path.startsWith('/approvals/');
}

export async function handleApprovals(req: http.IncomingMessage, res: http.ServerResponse, path: string, admin: ApprovalsAdmin): Promise<void> {
  try {
    await route(req, res, path, admin);
  } catch (err) {
    if (err instanceof HttpError) send(res, err.status, { error: err.code, message: err.message });
    else send(res, 500, { error: 'internal', message: 'internal error' });
  }
}

async function route(req: http.IncomingMessage, res: http.ServerResponse, path: string, admin: ApprovalsAdmin): Promise<void> {
  const m = ROUTE.exec(path);
  if (!m) throw new HttpError(404, 'not-found', `no such endpoint ${path}`);
  const [, id, action] = m;
  const wanted = action ? 'POST' : 'GET';
  if (req.method !== wanted && !(wanted === 'GET' && req.method === 'HEAD')) {
    res.setHeader('allow', wanted === 'GET' ? 'GET, HEAD' : 'POST');
    throw new HttpError(405, 'method-not-allowed', `${path} takes ${wanted}`);
  }
  const caller = await authenticate(req, admin.approvers);
  const { service } = admin;
  if (!id) {
    const status = new URL(req.url ?? '/', 'http://admin').searchParams.get('status');
    const list = service.store.list().filter((r) => service.canSee(caller, r) && (!status || service.statusOf(r) === status));
    send(res, 200, { approvals: list.map((r) => view(r, service)) });
    return;
  }
  const request = service.store.get(id);
  if (!request) throw new HttpError(404, 'not-found', `no approval request ${id} (unknown, or finished more than an hour ago)`);
  if (!action) {
    if (!service.canSee(caller, request)) throw notApprover(caller, request);
    send(res, 200, view(request, service));
    return;
  }
  const body = await readJson(req);
  const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
  if (body.reason !== undefined && typeof body.reason !== 'string') throw new HttpError(400, 'bad-request', 'reason must be a string');
  if (reason.length > MAX_REASON_CHARS) throw new HttpError(400, 'bad-request', `reason is longer than ${MAX_REASON_CHARS} characters`);
  if (action === 'deny' && reason === '') throw new HttpError(400, 'bad-request', 'deny needs a reason: the client is told it');
  let result;
  try {
    result = await service.decide(id, caller, action === 'approve' ? 'approve' : 'deny', reason);
  } catch {
    throw new HttpError(503, 'unavailable', 'the approval store is unavailable; retry');
  }
  if (!result.ok) throw new HttpError(statusFor(result.code), result.code, result.message);
  send(res, 200, view(result.request, service));
}

async function authenticate(req: http.IncomingMessage, verifier: TokenVerifier): Promise<VerifiedIdentity> {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new HttpError(401, 'unauthenticated', 'send the approver token as Authorization: Bearer <JWT>');
  try {
    return await verifier.verify(m[1]!);
  } catch (err) {
    if (err instanceof IdentityError) {
      if (err.reason === 'keys_unavailable') throw new HttpError(503, 'unavailable', err.message);
      throw new HttpError(401, 'unauthenticated', `approver token refused: ${err.message}`);
    }
    throw new HttpError(401, 'unauthenticated', 'approver token refused');
  }
}

function notApprover(caller: VerifiedIdentity, r: ApprovalRequest): HttpError {
  return new HttpError(403, 'not-approver', `${caller.subject} is not in an approver group of rule ${r.binding.rule} (${r.rule.approvers.join(', ')})`);
}

function statusFor(code: RefusalCode): number {
  switch (code) {
    case 'not-found':
      return 404;
    case 'self-approval':
    case 'not-approver':
      return 403;
    case 'not-pending':
    case 'already-voted':
    case 'expired':
      return 409;
  }
}

function view(r: ApprovalRequest, service: ApprovalService): Record<string, unknown> {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    id: r.id,
    status: service.statusOf(r),
    rule: r.binding.rule,
    role: r.binding.role,
    subject: r.binding.subject,
    actor: r.binding.actor,
    mode: r.rule.mode,
    approvers: r.rule.approvers,
    approvalsNeeded: r.rule.approvalsNeeded,
    approvals: r.votes.map((v) => ({ approver: v.approver, decision: v.decision, reason: v.reason, at: iso(v.at) })),
    sql: r.sql,
    fingerprint: r.binding.fingerprint,
    sqlHash: r.binding.sqlHash,
    session: r.session,
    createdAt: iso(r.createdAt),
    expiresAt: iso(r.expiresAt),
    decidedAt: iso(r.decidedAt),
    usedAt: iso(r.usedAt),
  };
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(400, 'bad-request', `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad-request', 'body is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HttpError(400, 'bad-request', 'body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="sqlveil-approvals"';
  res.writeHead(status, headers).end(res.req?.method === 'HEAD' ? undefined : text);
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
