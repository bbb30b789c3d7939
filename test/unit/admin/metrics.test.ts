// The admin endpoint's metrics and readiness, without a gateway: what Prometheus scrapes and what
// an orchestrator's readiness probe sees.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../../src/admin/metrics.js';
import { ReadinessCheck } from '../../../src/admin/readiness.js';

describe('GatewayMetrics', () => {
  it('counts statements by decision and kind, one cell per decision object', () => {
    const m = new GatewayMetrics();
    const select = {};
    let described = 0;
    const describe = () => (described++, { decision: 'allow' as const, kind: 'select' });
    for (let i = 0; i < 3; i++) m.statementFor('postgres', select, describe).value++;
    m.statementFor('mysql', select, () => ({ decision: 'allow', kind: 'select' })).value++;
    m.statementFor('postgres', {}, () => ({ decision: 'deny', kind: 'unknown' })).value++;
    expect(described).toBe(1);
    const text = m.render();
    expect(text).toContain('sqlveil_statements_total{protocol="postgres",decision="allow",kind="select"} 3\n');
    expect(text).toContain('sqlveil_statements_total{protocol="mysql",decision="allow",kind="select"} 1\n');
    expect(text).toContain('sqlveil_statements_total{protocol="postgres",decision="deny",kind="unknown"} 1\n');
  });

  it('renders statement durations as a cumulative histogram', () => {
    const m = new GatewayMetrics();
    const h = m.forProtocol('postgres').duration;
    for (const s of [0.0002, 0.0007, 0.003, 20]) h.observe(s);
    const text = m.render();
    expect(text).toContain('# TYPE sqlveil_statement_duration_seconds histogram\n');
    expect(text).toContain('sqlveil_statement_duration_seconds_bucket{protocol="postgres",le="0.0005"} 1\n');
    expect(text).toContain('sqlveil_statement_duration_seconds_bucket{protocol="postgres",le="0.001"} 2\n');
    expect(text).toContain('sqlveil_statement_duration_seconds_bucket{protocol="postgres",le="0.005"} 3\n');
    expect(text).toContain('sqlveil_statement_duration_seconds_bucket{protocol="postgres",le="10"} 3\n');
    expect(text).toContain('sqlveil_statement_duration_seconds_bucket{protocol="postgres",le="+Inf"} 4\n');
    expect(text).toContain('sqlveil_statement_duration_seconds_count{protocol="postgres"} 4\n');
    expect(text).toMatch(/sqlveil_statement_duration_seconds_sum\{protocol="postgres"\} 20\.0039/);
  });

  it('counts masked cells by strategy and policy reloads by outcome', () => {
    const m = new GatewayMetrics();
    m.masked('mysql', 'hash').value += 5;
    m.policyReload('applied');
    m.policyReload('rejected');
    m.policyReload('applied');
    const text = m.render();
    expect(text).toContain('sqlveil_masked_cells_total{protocol="mysql",strategy="hash"} 5\n');
    expect(text).toContain('sqlveil_policy_reloads_total{outcome="applied"} 2\n');
    expect(text).toContain('sqlveil_policy_reloads_total{outcome="rejected"} 1\n');
  });
});

describe('ReadinessCheck', () => {
  let server: net.Server;
  let open: number;
  let closed: number;
  beforeAll(async () => {
    server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open = (server.address() as net.AddressInfo).port;
    const spare = net.createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    closed = (spare.address() as net.AddressInfo).port;
    await new Promise<void>((r) => spare.close(() => r()));
  });
  afterAll(() => server.close());

  it('is ready when every upstream accepts a connection and nothing local is wrong', async () => {
    const check = new ReadinessCheck([{ name: 'pg', host: '127.0.0.1', port: open }], () => []);
    expect(await check.check()).toEqual({ ready: true, reasons: [] });
  });

  it('says which upstream is unreachable and what is wrong locally; probes at most every 2 s', async () => {
    let local = ['audit trail not writable: statements are refused'];
    const check = new ReadinessCheck(
      [
        { name: 'pg', host: '127.0.0.1', port: open },
        { name: 'mysql', host: '127.0.0.1', port: closed },
      ],
      () => local,
    );
    const first = await check.check(1000);
    expect(first.ready).toBe(false);
    expect(first.reasons).toEqual(['audit trail not writable: statements are refused', `upstream mysql (127.0.0.1:${closed}) unreachable: ECONNREFUSED`]);
    local = [];
    // Within the probe interval the upstream result is reused; local state is read each time.
    expect((await check.check(2000)).reasons).toEqual([`upstream mysql (127.0.0.1:${closed}) unreachable: ECONNREFUSED`]);
  });
});
