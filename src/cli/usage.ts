export const usage = `Usage: sqlveil <command> [options]

Commands:
  start --config FILE            run the gateway with a rules file
  check-config FILE              validate a rules file; print every error with its path and line
  keygen [--out DIR]             write a development signing key and its JWKS (development only)
  token --sub S --key FILE [--groups a,b] [--ttl 15m] [--issuer I] [--audience A] [--act SUB]
                                 mint a development JWT from a local private key (development only)
  demo                           run the gateway in front of an embedded PostgreSQL with the clinic data
  audit verify (--brokers B | --file F) [--public-key FILE]
                                 check the audit trail: chains, checkpoints, signatures
  audit keygen [--out DIR]       write an Ed25519 key pair for signing audit checkpoints
  sessions list|show ID|export (--brokers B | --file F) [filters]
                                 search recorded sessions, replay one, export JSON lines or CSV
  approvals list|show ID|approve ID [--reason R]|deny ID --reason R [--admin URL] [--token JWT]
                                 decide just-in-time approval requests (token: SQLVEIL_TOKEN)

Run 'sqlveil <command> --help' for a command's options. Documentation: README.md and docs/.
`;
