// `sqlveil audit <verify|keygen>`: dispatches to one module per subcommand.
export const auditUsage = `Usage: sqlveil audit <command> [options]

Commands:
  verify (--brokers B | --file F) [--topic-prefix P] [--topics a,b] [--public-key FILE]
                 check the audit trail: hash chains, checkpoints and their signatures
  keygen [--out DIR] [--force]
                 write an Ed25519 key pair for signing checkpoints (audit.signingKey)
`;

export async function runAudit(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'verify') return (await import('./audit-verify.js')).runAuditVerify(rest);
  if (sub === 'keygen') return (await import('./audit-keygen.js')).runAuditKeygen(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(auditUsage);
    return sub === undefined ? 2 : 0;
  }
  process.stderr.write(`sqlveil audit: unknown command '${sub}'\n\n${auditUsage}`);
  return 2;
}
