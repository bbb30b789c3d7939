// The fixed text that stands in for a server's error, notice or warning text when the statement
// it answers may have read protected values: the server quotes values back in such texts (a
// failed cast, a truncation warning), in any encoding the statement asked for, so no detector can
// vouch for them. The code stays: the agent still learns what kind of error it was.

/** The text for a withheld server message; `code` is the SQLSTATE (and the MySQL error number, when there is one). */
export function withheldServerText(code: string): string {
  return (
    `sqlveil: the server's message text (${code}) was withheld because the statement read protected columns ` +
    '(the text could quote their values); check the casts, conversions and constraints of the statement, or ask a dba to read the server log'
  );
}
