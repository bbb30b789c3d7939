// The two people the demo mints tokens for: one per role in rules/demo.yaml.
import type { JWK } from 'jose';
import { DEV_AUDIENCE, mintDevToken } from '../identity/dev-keys.js';
import { DEMO_ISSUER } from './demo-gateway.js';

export interface DemoUser {
  subject: string;
  groups: string[];
  /** The role rules/demo.yaml gives these groups; for the banner. */
  role: string;
  description: string;
}

export const DEMO_USERS = [
  { subject: 'agent-1', groups: ['agents'], role: 'agent', description: 'an AI agent' },
  { subject: 'dba-1', groups: ['dba'], role: 'dba', description: 'a database administrator' },
] as const satisfies readonly DemoUser[];

export const DEMO_TOKEN_TTL = '1h';

export interface DemoToken {
  user: DemoUser;
  token: string;
}

export function mintDemoTokens(privateJwk: JWK): Promise<DemoToken[]> {
  return Promise.all(
    DEMO_USERS.map(async (user) => ({
      user,
      token: await mintDevToken({ privateJwk, subject: user.subject, groups: [...user.groups], ttl: DEMO_TOKEN_TTL, issuer: DEMO_ISSUER, audience: DEV_AUDIENCE }),
    })),
  );
}
