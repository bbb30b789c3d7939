// The gateway's own MySQL connection ids: each client gets one in its handshake, and a KILL
// naming it (from a second connection, as the mariadb client does on Ctrl-C) reaches the
// upstream thread behind it. Ids that are not the gateway's are refused, so a client can never
// kill other sessions' upstream threads through the shared service accounts.

export interface MysqlSessionTarget {
  /** Token subject of the session: only the same subject may kill its queries. */
  subject(): string | undefined;
  /** The upstream connection's thread id, once logged in. */
  upstreamThreadId(): number | undefined;
}

export class MysqlSessionRegistry {
  private readonly entries = new Map<number, MysqlSessionTarget>();
  private nextId = 1;

  register(target: MysqlSessionTarget): number {
    while (this.entries.has(this.nextId)) this.nextId = (this.nextId % 0x7fffffff) + 1;
    const id = this.nextId;
    this.nextId = (this.nextId % 0x7fffffff) + 1;
    this.entries.set(id, target);
    return id;
  }

  unregister(id: number): void {
    this.entries.delete(id);
  }

  get(id: number): MysqlSessionTarget | undefined {
    return this.entries.get(id);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A KILL statement as sqlveil accepts it: KILL [HARD|SOFT] [QUERY|CONNECTION] <id>. */
export interface KillStatement {
  modifier: string;
  scope: 'QUERY' | 'CONNECTION';
  id: number;
}

const LEADING_COMMENTS = /^(?:\s+|\/\*[\s\S]*?\*\/|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$))*/;
const SIMPLE_KILL = /^KILL\s+(?:(HARD|SOFT)\s+)?(?:(QUERY|CONNECTION)\s+)?(\d{1,10})\s*;?\s*$/i;
/** A KILL at the start of any statement of the string. */
const ANY_KILL = /(?:^|;)(?:\s+|\/\*[\s\S]*?\*\/|--[^\n]*\n|#[^\n]*\n)*KILL\b/i;

/** SQL run from a string (PREPARE ... FROM, EXECUTE IMMEDIATE) that mentions KILL. */
const DYNAMIC_KILL = /(?:\bPREPARE\s+\S+\s+FROM\b|\bEXECUTE\s+IMMEDIATE\b)[\s\S]*\bKILL\b/i;

/**
 * Classifies a statement string: not a KILL, a KILL sqlveil can route, or a KILL form it refuses
 * (KILL USER, KILL QUERY ID, KILL inside a multi-statement string or run from a string).
 */
export function parseKill(sql: string): KillStatement | 'refused' | undefined {
  if (DYNAMIC_KILL.test(sql)) return 'refused';
  if (!ANY_KILL.test(sql)) return undefined;
  const m = SIMPLE_KILL.exec(sql.replace(LEADING_COMMENTS, ''));
  if (!m) return 'refused';
  return { modifier: m[1] ? m[1].toUpperCase() + ' ' : '', scope: (m[2]?.toUpperCase() as 'QUERY' | 'CONNECTION' | undefined) ?? 'CONNECTION', id: Number(m[3]) };
}

const LOAD_LOCAL = /(?:^|;)(?:\s+|\/\*[\s\S]*?\*\/|--[^\n]*\n|#[^\n]*\n)*LOAD\s+(?:DATA|XML)\s+(?:(?:LOW_PRIORITY|CONCURRENT)\s+)?LOCAL\b/i;

/** LOAD DATA / LOAD XML ... LOCAL: the client would send one of its files; never allowed through the gateway. */
export function isLoadLocal(sql: string): boolean {
  return LOAD_LOCAL.test(sql);
}
