import { describe, expect, it } from 'vitest';
import { Pending, ResponseQueue } from '../../../protocols/postgres/response-queue.js';

describe('ResponseQueue', () => {
  it('drops the rest of a batch after an error, up to its Sync', () => {
    const q = new ResponseQueue();
    q.push(Pending.Parse, 'a');
    q.push(Pending.Bind, '');
    q.push(Pending.Execute, '');
    q.push(Pending.Sync, '');
    q.push(Pending.Query, '');
    q.shift(); // ParseComplete
    q.failBatch(); // error at Bind
    expect(q.head?.kind).toBe(Pending.Sync);
    q.shiftThroughReady();
    expect(q.head?.kind).toBe(Pending.Query);
  });

  it('holds a gateway reply until everything before it is answered', () => {
    const q = new ResponseQueue();
    q.push(Pending.Query, '');
    q.pushReply(Buffer.from('denied'));
    expect(q.takeReply()).toBeUndefined();
    q.shiftThroughReady();
    expect(q.takeReply()?.toString()).toBe('denied');
    expect(q.size).toBe(0);
  });

  it('keeps order across many entries (compaction)', () => {
    const q = new ResponseQueue();
    for (let i = 0; i < 1000; i++) q.push(Pending.Execute, String(i));
    for (let i = 0; i < 1000; i++) expect(q.shift()?.name).toBe(String(i));
    expect(q.size).toBe(0);
  });
});
