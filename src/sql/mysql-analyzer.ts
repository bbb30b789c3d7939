// The MySQL / MariaDB StatementAnalyzer: the string is split into tokens by a lexer that reads it
// as the server does (src/sql/mysql-lexer.ts), its shape looked up in the cache, and on a miss
// each statement is parsed by node-sql-parser (MySQL grammar) from a rendering of those tokens,
// or recognised on the tokens when the parser does not know the statement. Anything neither can
// read is refused (ok: false): the gateway fails closed.

import { createRequire } from 'node:module';
import type { StatementAnalysis, StatementAnalyzer, StatementInfo } from './analysis.js';
import { isNode, type AstNode } from './mysql-ast.js';
import { fingerprintMysql, renderStatement, splitStatements, type RenderedStatement } from './mysql-fingerprint.js';
import type { MysqlLexResult } from './mysql-lexer.js';
import { MysqlRefusedStatement } from './mysql-settings.js';
import { buildParsed } from './mysql-statement.js';
import { instantiateMysql, type MysqlAnalysisTemplate, type MysqlStatementTemplate } from './mysql-template.js';
import { recognizeUtility } from './mysql-utility.js';
import { ShapeCache, type ShapeCacheOptions, type ShapeCacheStats } from './shape-cache.js';

export { redactMysqlLiterals } from './redact.js';
export { mysqlCharsetIsSafe, mysqlSqlModeIsSafe } from './mysql-settings.js';

interface SqlParser {
  parse(sql: string, options: object): { tableList: string[]; ast: AstNode | AstNode[] };
}

// Only the MySQL grammar (one file of the package) is loaded, not all of node-sql-parser's dialects.
const require = createRequire(import.meta.url);
const { Parser } = require('node-sql-parser/build/mysql') as { Parser: new () => SqlParser };
const PARSE_OPTIONS = { database: 'MySQL', parseOptions: { includeLocations: true } };

export interface MysqlAnalyzerOptions {
  /** Shape cache size (default 10,000 entries); 0 disables caching. */
  cacheEntries?: number;
  /** Bound on the total length of cached shapes (see ShapeCacheOptions.maxKeyChars). */
  cacheKeyChars?: number;
}

export interface MysqlAnalyzerStats extends ShapeCacheStats {
  uncacheable: number;
  parseErrors: number;
}

/** Depth of PREPARE ... FROM '...' nesting analysed before refusing. */
const MAX_PREPARE_DEPTH = 4;

export class MysqlStatementAnalyzer implements StatementAnalyzer {
  private readonly cache: ShapeCache<MysqlAnalysisTemplate>;
  private readonly parser = new Parser();
  private uncacheable = 0;
  private parseErrors = 0;

  constructor(options: MysqlAnalyzerOptions = {}) {
    const cacheOptions: ShapeCacheOptions = { maxEntries: options.cacheEntries ?? 10_000 };
    if (options.cacheKeyChars !== undefined) cacheOptions.maxKeyChars = options.cacheKeyChars;
    this.cache = new ShapeCache(cacheOptions);
  }

  analyze(sql: string, context: { searchPath: readonly string[]; database?: string }): StatementAnalysis {
    const fingerprint = fingerprintMysql(sql);
    const { lex, shape } = fingerprint;
    if (lex.refused !== undefined) return this.refuse(shape, `sqlveil: ${lex.refused}`);
    if (fingerprint.key !== undefined) {
      const template = this.cache.get(fingerprint.key);
      if (template !== undefined) return this.ok(shape, instantiateMysql(template, sql, lex.literals, context.database));
    } else this.uncacheable++;
    let template: MysqlAnalysisTemplate;
    try {
      template = this.build(sql, lex, 0);
    } catch (error) {
      if (error instanceof MysqlRefusedStatement) return this.refuse(shape, error.message);
      return this.refuse(shape, error instanceof Error ? error.message : String(error));
    }
    if (fingerprint.key !== undefined && template.cacheable) this.cache.set(fingerprint.key, template);
    return this.ok(shape, instantiateMysql(template, sql, lex.literals, context.database));
  }

  stats(): MysqlAnalyzerStats {
    return { ...this.cache.stats(), uncacheable: this.uncacheable, parseErrors: this.parseErrors };
  }

  clearCache(): void {
    this.cache.clear();
  }

  private build(sql: string, lex: MysqlLexResult, depth: number): MysqlAnalysisTemplate {
    const statements: MysqlStatementTemplate[] = [];
    let cacheable = true;
    const ranges = splitStatements(sql, lex.tokens);
    if (ranges.length === 0) throw new Error('empty statement');
    for (const range of ranges) {
      const recognized = recognizeUtility({
        sql,
        lex,
        from: range.from,
        to: range.to,
        parse: (rendered) => this.parseOne(rendered),
        analyzeString: (inner) => this.analyzeInner(inner, depth),
      });
      if (recognized !== undefined) {
        statements.push(recognized.template);
        cacheable &&= recognized.cacheable;
        if (recognized.toEnd === true) break;
        continue;
      }
      const built = this.parseOne(renderStatement(sql, lex, range.from, range.to));
      statements.push(built.template);
      cacheable &&= built.cacheable;
    }
    if (statements.length > 1) {
      for (const statement of statements) if (!statement.flags.includes('multi-statement')) statement.flags.push('multi-statement');
    }
    return { statements, cacheable };
  }

  /** One statement through node-sql-parser; anything but exactly one statement back is refused. */
  private parseOne(rendered: RenderedStatement): { template: MysqlStatementTemplate; cacheable: boolean } {
    let result: { tableList: string[]; ast: AstNode | AstNode[] };
    try {
      result = this.parser.parse(rendered.text, PARSE_OPTIONS);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new MysqlRefusedStatement(`sqlveil cannot parse this MySQL statement (${message.length > 300 ? `${message.slice(0, 300)}...` : message})`);
    }
    const asts = Array.isArray(result.ast) ? result.ast : [result.ast];
    // node-sql-parser also splits at a bare `GO` (SQL Server's separator), which to MySQL is a word.
    const ast = asts[0];
    if (asts.length !== 1 || !isNode(ast) || typeof ast.type !== 'string' || 'go_next' in ast) {
      throw new MysqlRefusedStatement('sqlveil: the parser did not read exactly one statement');
    }
    return buildParsed({ ast, tableList: result.tableList, rendered });
  }

  private analyzeInner(sql: string, depth: number): MysqlStatementTemplate[] {
    if (depth >= MAX_PREPARE_DEPTH) throw new MysqlRefusedStatement('sqlveil: prepared statements nested too deeply');
    const fingerprint = fingerprintMysql(sql);
    if (fingerprint.lex.refused !== undefined) throw new MysqlRefusedStatement(`sqlveil: in the prepared statement: ${fingerprint.lex.refused}`);
    return this.build(sql, fingerprint.lex, depth + 1).statements;
  }

  private ok(fingerprint: string, statements: StatementInfo[]): StatementAnalysis {
    return { ok: true, dialect: 'mysql', fingerprint, statements };
  }

  private refuse(fingerprint: string, error: string): StatementAnalysis {
    this.parseErrors++;
    return { ok: false, dialect: 'mysql', fingerprint, error };
  }
}

/** A MySQL / MariaDB analyzer (synchronous to create; async for symmetry with createPgAnalyzer). */
export async function createMysqlAnalyzer(options: MysqlAnalyzerOptions = {}): Promise<MysqlStatementAnalyzer> {
  return new MysqlStatementAnalyzer(options);
}
