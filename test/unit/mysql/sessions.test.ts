import { describe, expect, it } from 'vitest';
import { isLoadLocal, MysqlSessionRegistry, parseKill } from '../../../src/server/mysql-sessions.js';

describe('parseKill', () => {
  it.each([
    ['KILL 12', { modifier: '', scope: 'CONNECTION', id: 12 }],
    ['kill query 7;', { modifier: '', scope: 'QUERY', id: 7 }],
    ['  /* ctrl-c */ KILL HARD CONNECTION 3 ', { modifier: 'HARD ', scope: 'CONNECTION', id: 3 }],
    ['-- x\nKILL SOFT QUERY 9', { modifier: 'SOFT ', scope: 'QUERY', id: 9 }],
  ])('routes %j', (sql, want) => {
    expect(parseKill(sql)).toEqual(want);
  });

  it.each(['KILL USER root', 'KILL QUERY ID 5', 'select 1; kill 5', 'kill 5; select 1', "PREPARE s FROM 'KILL USER root'", "execute immediate 'kill 3'", 'KILL CONNECTION 99999999999'])('refuses %j', (sql) => {
    expect(parseKill(sql)).toBe('refused');
  });

  it.each(['select 1', "select 'kill 5'", 'select skill from t', 'update t set killed = 1'])('ignores %j', (sql) => {
    expect(parseKill(sql)).toBeUndefined();
  });
});

describe('isLoadLocal', () => {
  it('finds LOAD DATA/XML LOCAL at the start of any statement', () => {
    expect(isLoadLocal("LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t")).toBe(true);
    expect(isLoadLocal("select 1; load data low_priority local infile 'x' into table t")).toBe(true);
    expect(isLoadLocal("/* c */ LOAD XML LOCAL INFILE 'x' INTO TABLE t")).toBe(true);
    expect(isLoadLocal("LOAD DATA INFILE '/tmp/x' INTO TABLE t")).toBe(false);
    expect(isLoadLocal("select 'load data local'")).toBe(false);
  });
});

describe('MysqlSessionRegistry', () => {
  it('hands out distinct ids and forgets them', () => {
    const r = new MysqlSessionRegistry();
    const t = { subject: () => 's', upstreamThreadId: () => 1 };
    const a = r.register(t);
    const b = r.register(t);
    expect(a).not.toBe(b);
    expect(r.get(a)).toBe(t);
    r.unregister(a);
    expect(r.get(a)).toBeUndefined();
    expect(r.size).toBe(1);
  });
});
