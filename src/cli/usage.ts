export const usage = `Usage: sqlveil <command> [options]

Commands:
  start --config FILE            run the gateway with a rules file
  check-config FILE              validate a rules file; print every error with its path and line
  keygen [--out DIR]             write a development signing key and its JWKS (development only)
  token --sub S --key FILE [--groups a,b] [--ttl 15m] [--issuer I] [--audience A] [--act SUB]
                                 mint a development JWT from a local private key (development only)
  demo                           run the gateway in front of an embedded PostgreSQL with the clinic data

Run 'sqlveil <command> --help' for a command's options. Documentation: README.md and docs/.
`;
