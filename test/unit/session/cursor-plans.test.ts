// Which plan masks a FETCH: the analysed DECLARE the server confirmed, for as long as the
// cursor lives, and none for a cursor the gateway did not see declared.
import { beforeAll, describe, expect, it } from 'vitest';
import { CursorPlans } from '../../../src/session/cursor-plans.js';
import type { PgStatementAnalyzer } from '../../../src/sql/pg-analyzer.js';
import { analyzer, context, statementsOf } from '../sql/helpers.js';

let pg: PgStatementAnalyzer;
beforeAll(async () => {
  pg = await analyzer();
});
const one = (sql: string) => statementsOf(pg.analyze(sql, context))[0]!;

describe('session objects in the analysis', () => {
  it('names what each statement creates, reads or drops', () => {
    expect(one('DECLARE c CURSOR FOR SELECT name FROM patients').sessionObject).toEqual({ object: 'cursor', action: 'create', name: 'c', hold: false });
    expect(one('DECLARE c CURSOR WITH HOLD FOR SELECT 1').sessionObject).toEqual({ object: 'cursor', action: 'create', name: 'c', hold: true });
    expect(one('FETCH 10 FROM c').sessionObject).toEqual({ object: 'cursor', action: 'read', name: 'c' });
    expect(one('MOVE 10 IN c').sessionObject).toBeUndefined();
    expect(one('CLOSE c').sessionObject).toEqual({ object: 'cursor', action: 'drop', name: 'c' });
    expect(one('CLOSE ALL').sessionObject).toEqual({ object: 'cursor', action: 'drop' });
    expect(one('PREPARE p AS SELECT 1').sessionObject).toEqual({ object: 'prepared-statement', action: 'create', name: 'p' });
    expect(one('DEALLOCATE p').sessionObject).toEqual({ object: 'prepared-statement', action: 'drop', name: 'p' });
    expect(one('DEALLOCATE ALL').sessionObject).toEqual({ object: 'prepared-statement', action: 'drop' });
    expect(one('DISCARD ALL').sessionObject).toEqual({ object: 'all', action: 'drop' });
  });

  it('decides a SQL PREPARE as the statement it prepares, with no rows of its own', () => {
    const p = one('PREPARE u AS UPDATE patients SET name = $1 WHERE id = $2');
    expect(p.kind).toBe('update');
    expect(p.tablesWritten).toEqual([{ schema: 'public', name: 'patients' }]);
    expect(p.columns).toBeUndefined();
  });
});

describe('CursorPlans', () => {
  it('masks a FETCH by its DECLARE until CLOSE', () => {
    const plans = new CursorPlans();
    const declare = one('DECLARE c CURSOR FOR SELECT name FROM patients');
    const fetch = one('FETCH 10 FROM c');
    expect(plans.planOf(fetch)).toBeUndefined();
    plans.completed(declare);
    expect(plans.planOf(fetch)).toBe(declare);
    plans.completed(one('CLOSE c'));
    expect(plans.planOf(fetch)).toBeUndefined();
  });

  it('forgets cursors at the end of their transaction unless WITH HOLD, and all at DISCARD ALL', () => {
    const plans = new CursorPlans();
    const held = one('DECLARE h CURSOR WITH HOLD FOR SELECT name FROM patients');
    plans.completed(one('DECLARE c CURSOR FOR SELECT name FROM patients'));
    plans.completed(held);
    plans.transactionEnded();
    expect(plans.planOf(one('FETCH 1 FROM c'))).toBeUndefined();
    expect(plans.planOf(one('FETCH 1 FROM h'))).toBe(held);
    plans.completed(one('DISCARD ALL'));
    expect(plans.planOf(one('FETCH 1 FROM h'))).toBeUndefined();
  });

  it('leaves other statements as they are', () => {
    const plans = new CursorPlans();
    const select = one('SELECT 1');
    expect(plans.planOf(select)).toBe(select);
  });
});
