// The statement policy in force, swapped as a whole when the rules file changes (file watch or
// SIGHUP). A file that does not load keeps the old policy: a typo must never open the gate or
// close it. Only `policy` applies live; other sections need a restart and are reported as such.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describeFsError } from './config/files.js';
import type { Env } from './config/interpolate.js';
import type { ConfigIssue } from './config/issues.js';
import { parseConfigText } from './config/load.js';
import type { GatewayConfig, MaskingConfig, PolicyConfig, RoleConfig } from './config/types.js';
import { watchFileChanges, type FileWatch } from './file-watch.js';

/** pino-style: structured fields first, then the message. */
export interface PolicyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PolicyReloaded {
  version: number;
  file: string;
  /** False when the file changed but its policy section means the same. */
  policyChanged: boolean;
  /** Top-level sections that differ from the running gateway's and were not applied. */
  restartNeeded: string[];
  warnings: ConfigIssue[];
}

export interface PolicyRejected {
  /** The version still in force. */
  version: number;
  file: string;
  errors: ConfigIssue[];
}

export type ReloadOutcome = ({ ok: true } & PolicyReloaded) | ({ ok: false } & PolicyRejected);

interface PolicyStoreEvents {
  reloaded: [PolicyReloaded];
  rejected: [PolicyRejected];
}

export class PolicyStore extends EventEmitter<PolicyStoreEvents> {
  private policy: PolicyConfig | undefined;
  private maskingConfig: MaskingConfig | undefined;
  private currentVersion = 1;
  private file: string;
  private env: Env = process.env;
  private lastText: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FileWatch | undefined;

  constructor(
    /** The configuration the gateway started with: sections other than `policy` stay as they are. */
    private readonly running: GatewayConfig,
    private readonly log: PolicyLogger,
    private readonly options: { debounceMs?: number; env?: Env } = {},
  ) {
    super();
    this.policy = running.policy;
    this.maskingConfig = running.masking;
    if (options.env) this.env = options.env;
    this.file = running.source;
  }

  /** The policy in force (undefined: the file has no `policy` section, everything is allowed). */
  current(): PolicyConfig | undefined {
    return this.policy;
  }

  /** The masking rules in force (undefined: the file has no `masking` section, nothing is masked). */
  masking(): MaskingConfig | undefined {
    return this.maskingConfig;
  }

  /** 1 for the policy the gateway started with, one more for every accepted reload. */
  get version(): number {
    return this.currentVersion;
  }

  /** Roles of the running gateway; a change to `roles` needs a restart. */
  roles(): readonly RoleConfig[] {
    return this.running.roles;
  }

  /** Reloads when the file changes. Only a change of the file's text triggers a reload from here. */
  watch(path: string = this.running.source, env: Env = process.env): void {
    this.watcher?.close();
    this.file = resolve(path);
    this.env = env;
    try {
      this.lastText = readFileSync(this.file, 'utf8');
    } catch {
      this.lastText = undefined; // the first event reloads, and reports what is wrong
    }
    // Nobody awaits a watch-triggered reload: a throwing event listener must not become an
    // unhandled rejection (which ends the process).
    const onChange = () => {
      this.reloadIf('changed').catch((err: unknown) => {
        this.log.error({ file: this.file, err: err instanceof Error ? err.message : String(err) }, 'policy reload failed');
      });
    };
    this.watcher = watchFileChanges(this.file, onChange, {
      debounceMs: this.options.debounceMs ?? 200,
      onError: (err) => this.log.error({ file: this.file, err: err.message }, 'rules file watch failed; reload with SIGHUP'),
    });
  }

  /** Re-reads and re-checks the whole file (SIGHUP); reloads run one at a time. */
  reload(): Promise<ReloadOutcome> {
    return this.reloadIf('always');
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private reloadIf(when: 'always' | 'changed'): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.load(when));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(when: 'always' | 'changed'): Promise<ReloadOutcome> {
    const file = this.file;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      return this.reject(file, [{ path: '', message: describeFsError(file, err) }]);
    }
    if (when === 'changed' && text === this.lastText) {
      return { ok: true, version: this.currentVersion, file, policyChanged: false, restartNeeded: [], warnings: [] };
    }
    this.lastText = text;
    const result = parseConfigText(text, file, this.env);
    if (!result.ok) return this.reject(file, result.errors);

    const next = result.config;
    const policyChanged = !isDeepStrictEqual(next.policy, this.policy) || !isDeepStrictEqual(next.masking, this.maskingConfig);
    const restartNeeded = changedSections(this.running, next);
    // A statement sees the old policy or the new, never a mix; masking follows in the same turn.
    this.policy = next.policy;
    this.maskingConfig = next.masking;
    this.currentVersion++;

    for (const warning of result.warnings) this.log.warn({ file, ...where(warning) }, `rules file: ${warning.message}`);
    if (restartNeeded.length > 0) {
      const message = `rules file changes to ${restartNeeded.join(', ')} need a restart and were not applied`;
      this.log.warn({ file, sections: restartNeeded }, message);
    }
    this.log.info({ file, version: this.currentVersion, policyChanged, ...summary(next.policy) }, 'policy reloaded');
    const event: PolicyReloaded = { version: this.currentVersion, file, policyChanged, restartNeeded, warnings: result.warnings };
    this.emit('reloaded', event);
    return { ok: true, ...event };
  }

  private reject(file: string, errors: ConfigIssue[]): ReloadOutcome {
    for (const error of errors) this.log.error({ file, ...where(error) }, `rules file rejected: ${error.message}`);
    const count = `${errors.length} error${errors.length === 1 ? '' : 's'}`;
    const version = this.currentVersion;
    this.log.error({ file, errors: errors.length, version }, `policy reload rejected (${count}): keeping policy version ${version}`);
    const event: PolicyRejected = { version: this.currentVersion, file, errors };
    this.emit('rejected', event);
    return { ok: false, ...event };
  }
}

/** Top-level sections other than `policy` whose meaning differs. */
function changedSections(running: GatewayConfig, next: GatewayConfig): string[] {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]);
  keys.delete('policy');
  keys.delete('masking');
  keys.delete('source');
  return [...keys].filter((key) => !isDeepStrictEqual(running[key as keyof GatewayConfig], next[key as keyof GatewayConfig])).sort();
}

function where(issue: ConfigIssue): { path: string; line?: number; column?: number } {
  return { path: issue.path, ...(issue.line === undefined ? {} : { line: issue.line, column: issue.column }) };
}

function summary(policy: PolicyConfig | undefined): object {
  return policy ? { mode: policy.mode, roles: Object.keys(policy.roles) } : { mode: 'none' };
}
