// The gateway for the demo, configured the way an operator would: rules/demo.yaml plus the
// SQLVEIL_DEMO_* variables it reads.
import { join } from 'node:path';
import { formatIssue } from '../cli/format-issue.js';
import type { Logger } from '../log.js';
import { loadConfigFile } from '../policy/config/load.js';
import { Gateway } from '../server/gateway.js';
import { packageRoot } from './package-root.js';

export const DEMO_ISSUER = 'https://demo.sqlveil.local/';

export interface DemoGatewaySettings {
  host: string;
  port: number;
  upstreamUrl: string;
  jwksPath: string;
  auditPath: string;
  log: Logger;
  /** Defaults to the rules/demo.yaml shipped with sqlveil. */
  rulesPath?: string;
}

export function demoRulesPath(): string {
  return join(packageRoot(), 'rules', 'demo.yaml');
}

/** The variables rules/demo.yaml reads; everything else in the environment passes through. */
export function demoEnv(s: Omit<DemoGatewaySettings, 'log' | 'rulesPath'>): Record<string, string> {
  return {
    SQLVEIL_DEMO_LISTEN: `${s.host}:${s.port}`,
    SQLVEIL_DEMO_UPSTREAM: s.upstreamUrl,
    SQLVEIL_DEMO_JWKS: s.jwksPath,
    SQLVEIL_DEMO_ISSUER: DEMO_ISSUER,
    SQLVEIL_DEMO_AUDIT: s.auditPath,
  };
}

/** Loads the rules and starts listening; throws with every config error if the rules are invalid. */
export async function startDemoGateway(s: DemoGatewaySettings): Promise<Gateway> {
  const rulesPath = s.rulesPath ?? demoRulesPath();
  const loaded = await loadConfigFile(rulesPath, { ...process.env, ...demoEnv(s) });
  if (!loaded.ok) {
    const lines = loaded.errors.map((issue) => formatIssue(rulesPath, issue));
    throw new Error(`the demo rules file is invalid:\n${lines.join('\n')}`);
  }
  for (const w of loaded.warnings) s.log.warn({ path: w.path, line: w.line }, w.message);
  const gateway = new Gateway(loaded.config, { log: s.log });
  try {
    await gateway.start();
  } catch (err) {
    await gateway.stop(); // closes the audit file it opened
    throw err;
  }
  return gateway;
}
