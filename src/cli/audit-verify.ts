// `sqlveil audit verify`: reads every stored event and reports what does not hold, with positions;
// the last line is the verdict. Exit 0 when the trail verifies, 1 when it does not, 2 on usage.
import { parseArgs } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { loadVerifyKey } from '../audit/signing-key.js';
import { ChainVerifier, verdictLine } from '../audit/verify.js';
import { checkSource, describeSource, exitQuietlyOnClosedPipe, readSource, sourceOptions } from './audit-source.js';

const verifyUsage = `Usage: sqlveil audit verify (--brokers B | --file F) [--topic-prefix P] [--topics a,b] [--public-key FILE] [--quiet]

Reads all audit events (the topics <P>.audit.*, default prefix sqlveil, or a JSON-lines file) and
reports any altered, missing, reordered, duplicated or inserted event and a truncated tail, with
its position (topic/partition@offset or file:line). With --public-key (PEM or JWK, Ed25519) the
checkpoint signatures are checked too. The last line is the verdict; exit 1 when it fails.
`;

export async function runAuditVerify(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...sourceOptions, 'public-key': { type: 'string' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(verifyUsage);
    return 0;
  }
  const problem = checkSource(values);
  if (problem) return usageError(problem);
  let key: KeyObject | undefined;
  try {
    key = values['public-key'] ? loadVerifyKey(values['public-key']) : undefined;
  } catch (err) {
    process.stderr.write(`sqlveil audit verify: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }

  exitQuietlyOnClosedPipe();
  const verifier = new ChainVerifier();
  try {
    await readSource(values, (r) => verifier.add(r));
  } catch (err) {
    process.stdout.write(`verify FAILED: cannot read ${describeSource(values)}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const report = await verifier.finish(key);
  const shown = values.quiet ? report.findings.filter((f) => f.severity === 'error') : report.findings;
  for (const f of shown) process.stdout.write(`${f.severity === 'error' ? 'ERROR' : 'warning'} ${f.kind}: ${f.message}\n`);
  process.stdout.write(`${verdictLine(report, key !== undefined)}\n`);
  return report.ok ? 0 : 1;
}

function usageError(message: string): number {
  process.stderr.write(`sqlveil audit verify: ${message}\n\n${verifyUsage}`);
  return 2;
}
