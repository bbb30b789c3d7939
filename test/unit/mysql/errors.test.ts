import { describe, expect, it } from 'vitest';
import { denialErr } from '../../../src/server/mysql-errors.js';

describe('denialErr', () => {
  it('maps SQLSTATEs to MySQL error numbers and keeps the SQLSTATE', () => {
    expect(denialErr({ action: 'deny', sqlState: '42501', message: 'no', rule: 'tables' })).toEqual({ errno: 1142, sqlState: '42501', message: 'no [rule: tables]' });
    expect(denialErr({ action: 'deny', sqlState: '54000', message: 'cut', hint: 'add LIMIT 100' }).errno).toBe(1104);
    expect(denialErr({ action: 'deny', sqlState: '0A000', message: 'x' }).errno).toBe(1235);
    expect(denialErr({ action: 'deny', sqlState: 'XX999', message: 'x' }).errno).toBe(1227);
  });

  it('puts the hint in the message, and the rule unless the message already names it', () => {
    const e = denialErr({ action: 'deny', sqlState: '42501', message: 'refused (rule: policy.roles.agent.unbounded)', hint: 'add LIMIT 1000', rule: 'unbounded' });
    expect(e.message).toBe('refused (rule: policy.roles.agent.unbounded) (hint: add LIMIT 1000)');
  });
});
