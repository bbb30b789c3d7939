// SQL cursors of a session as the server confirmed them: a DECLARE's analysed query from the
// moment its CommandComplete arrives, until CLOSE, DISCARD ALL, or the end of its transaction
// (unless WITH HOLD). A FETCH returns the cursor's rows, so its result is masked by the plan
// of the DECLARE, never by the FETCH's own (which names no table). A FETCH from a cursor the
// gateway did not see declared has no plan: the session treats its result as unknown.
// Cursors and protocol portals share one namespace, and a rollback (of a transaction or to a
// savepoint) drops the cursors declared in what it undoes, WITH HOLD ones too: the gateway does
// not track savepoints, so it forgets every cursor at a server-confirmed ROLLBACK.
import type { SessionObjectEffect, StatementInfo } from '../sql/analysis.js';

interface Cursor {
  statement: StatementInfo;
  hold: boolean;
}

export class CursorPlans {
  private readonly cursors = new Map<string, Cursor>();

  /** A statement completed on the server: record what it did to cursors. */
  completed(statement: StatementInfo): void {
    const effect = statement.sessionObject;
    if (effect === undefined || effect.object === 'prepared-statement') return;
    if (effect.object === 'all' || effect.name === undefined) {
      this.cursors.clear(); // DISCARD ALL, CLOSE ALL
      return;
    }
    if (effect.action === 'create') this.cursors.set(effect.name, { statement, hold: effect.hold === true });
    else if (effect.action === 'drop') this.cursors.delete(effect.name);
  }

  /** A protocol portal of this name was bound or closed: it is no longer the cursor declared. */
  replaced(name: string): void {
    this.cursors.delete(name);
  }

  /** The server confirmed a rollback (its command tag is ROLLBACK, also for ROLLBACK TO and a failed COMMIT). */
  rolledBack(): void {
    this.cursors.clear();
  }

  /** The statement whose plan masks this statement's rows: a FETCH's is its cursor's (undefined when unknown). */
  planOf(statement: StatementInfo | undefined): StatementInfo | undefined {
    const effect: SessionObjectEffect | undefined = statement?.sessionObject;
    if (effect?.object !== 'cursor' || effect.action !== 'read') return statement;
    return this.cursors.get(effect.name ?? '')?.statement;
  }

  /** The transaction ended (committed or rolled back): only WITH HOLD cursors remain. */
  transactionEnded(): void {
    for (const [name, c] of this.cursors) if (!c.hold) this.cursors.delete(name);
  }
}
