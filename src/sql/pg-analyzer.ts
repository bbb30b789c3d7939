// PostgreSQL statement analysis for the gateway's hot path: fingerprint the string, and on a
// cache hit rebuild the analysis from the cached template and the string's own literals; on a
// miss (or when the string cannot be fingerprinted safely) parse it with PostgreSQL's parser.

import { loadModule, parseSync, type ParseResult } from 'libpg-query';
import type { StatementAnalysis, StatementAnalyzer } from './analysis.js';
import { fingerprintPg } from './fingerprint.js';
import { RefusedStatement } from './pg-integrity.js';
import { LiteralLocator } from './pg-literal-locator.js';
import { buildStatement } from './pg-statement.js';
import { instantiate, type AnalysisTemplate, type LiteralSource } from './pg-template.js';
import { ShapeCache, type ShapeCacheOptions, type ShapeCacheStats } from './shape-cache.js';

export interface PgAnalyzerOptions {
  /** Shape cache size (default 10,000 entries); 0 disables caching. */
  cacheEntries?: number;
  /** Bound on the total length of cached shapes (see ShapeCacheOptions.maxKeyChars). */
  cacheKeyChars?: number;
}

export interface PgAnalyzerStats extends ShapeCacheStats {
  /** Strings parsed without the cache because the lexer could not vouch for their shape. */
  uncacheable: number;
  /** Strings the parser rejected. */
  parseErrors: number;
}

export class PgStatementAnalyzer implements StatementAnalyzer {
  private readonly cache: ShapeCache<AnalysisTemplate>;
  private uncacheable = 0;
  private parseErrors = 0;

  /** Use createPgAnalyzer(): the parser's WebAssembly module must be loaded first. */
  constructor(options: PgAnalyzerOptions = {}) {
    const cacheOptions: ShapeCacheOptions = { maxEntries: options.cacheEntries ?? 10_000 };
    if (options.cacheKeyChars !== undefined) cacheOptions.maxKeyChars = options.cacheKeyChars;
    this.cache = new ShapeCache(cacheOptions);
  }

  analyze(sql: string, context: { searchPath: readonly string[]; database?: string }): StatementAnalysis {
    const fingerprint = fingerprintPg(sql);
    const shape = fingerprint.shape;
    // The parser reads a C string: past a NUL it would see less than the server is sent.
    if (sql.includes('\0')) return this.refuse(shape, 'statement contains a NUL character');
    let literals: LiteralSource | undefined;
    if (fingerprint.cacheable) {
      literals = { sql, literals: fingerprint.literals };
      const template = this.cache.get(fingerprint.key);
      if (template !== undefined) return this.ok(shape, instantiate(template, literals, context.searchPath));
    } else this.uncacheable++;

    let parsed: ParseResult;
    try {
      parsed = parseSync(sql);
    } catch (error) {
      return this.refuse(shape, error instanceof Error ? error.message : String(error));
    }
    let template: AnalysisTemplate;
    try {
      const locator = new LiteralLocator(sql, literals?.literals, fingerprint.cacheable && fingerprint.ascii);
      template = buildTemplate(parsed, locator);
    } catch (error) {
      if (error instanceof RefusedStatement) return this.refuse(shape, error.message);
      // A tree too deep for the walk, or a node it does not expect: refuse rather than guess.
      return this.refuse(shape, `statement could not be analysed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (fingerprint.cacheable && template.cacheable) this.cache.set(fingerprint.key, template);
    return this.ok(shape, instantiate(template, literals, context.searchPath));
  }

  stats(): PgAnalyzerStats {
    return { ...this.cache.stats(), uncacheable: this.uncacheable, parseErrors: this.parseErrors };
  }

  clearCache(): void {
    this.cache.clear();
  }

  private ok(fingerprint: string, statements: ReturnType<typeof instantiate>): StatementAnalysis {
    return { ok: true, dialect: 'postgres', fingerprint, statements };
  }

  private refuse(fingerprint: string, error: string): StatementAnalysis {
    this.parseErrors++;
    return { ok: false, dialect: 'postgres', fingerprint, error };
  }
}

function buildTemplate(parsed: ParseResult, locator: LiteralLocator): AnalysisTemplate {
  const built = (parsed.stmts ?? []).flatMap((raw) => (raw.stmt === undefined ? [] : [buildStatement(raw.stmt, locator)]));
  const statements = built.map((statement) => statement.template);
  if (statements.length > 1) {
    for (const statement of statements) if (!statement.flags.includes('multi-statement')) statement.flags.push('multi-statement');
  }
  return { statements, cacheable: built.every((statement) => statement.cacheable) };
}

/** Loads PostgreSQL's parser (WebAssembly, once per process) and returns an analyzer. */
export async function createPgAnalyzer(options: PgAnalyzerOptions = {}): Promise<PgStatementAnalyzer> {
  await loadModule();
  return new PgStatementAnalyzer(options);
}
