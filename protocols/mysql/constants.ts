// Named constants of the MySQL client/server protocol (MySQL docs, "Client/Server Protocol":
// "Capabilities Flags", "Text Protocol", "Prepared Statements", "Column Types").

/** Capability flags (MySQL docs, "Capabilities Flags"). */
export const Capability = {
  LONG_PASSWORD: 0x1, // also CLIENT_MYSQL: a MariaDB server clears it to announce extended capabilities
  FOUND_ROWS: 0x2,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  NO_SCHEMA: 0x10,
  COMPRESS: 0x20,
  ODBC: 0x40,
  LOCAL_FILES: 0x80,
  IGNORE_SPACE: 0x100,
  PROTOCOL_41: 0x200,
  INTERACTIVE: 0x400,
  SSL: 0x800,
  IGNORE_SIGPIPE: 0x1000,
  TRANSACTIONS: 0x2000,
  RESERVED: 0x4000,
  SECURE_CONNECTION: 0x8000,
  MULTI_STATEMENTS: 0x10000,
  MULTI_RESULTS: 0x20000,
  PS_MULTI_RESULTS: 0x40000,
  PLUGIN_AUTH: 0x80000,
  CONNECT_ATTRS: 0x100000,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 0x200000,
  CAN_HANDLE_EXPIRED_PASSWORDS: 0x400000,
  SESSION_TRACK: 0x800000,
  DEPRECATE_EOF: 0x1000000,
  QUERY_ATTRIBUTES: 0x8000000,
} as const;

/** Server status flags carried by OK and EOF packets. */
export const ServerStatus = {
  IN_TRANS: 0x1,
  AUTOCOMMIT: 0x2,
  MORE_RESULTS_EXISTS: 0x8,
  CURSOR_EXISTS: 0x40,
  LAST_ROW_SENT: 0x80,
  PS_OUT_PARAMS: 0x1000,
} as const;

/** Command bytes (MySQL docs, "Text Protocol" and "Prepared Statements"). */
export const Command = {
  SLEEP: 0x00,
  QUIT: 0x01,
  INIT_DB: 0x02,
  QUERY: 0x03,
  FIELD_LIST: 0x04,
  CREATE_DB: 0x05,
  DROP_DB: 0x06,
  REFRESH: 0x07,
  SHUTDOWN: 0x08,
  STATISTICS: 0x09,
  PROCESS_INFO: 0x0a,
  CONNECT: 0x0b,
  PROCESS_KILL: 0x0c,
  DEBUG: 0x0d,
  PING: 0x0e,
  TIME: 0x0f,
  DELAYED_INSERT: 0x10,
  CHANGE_USER: 0x11,
  BINLOG_DUMP: 0x12,
  TABLE_DUMP: 0x13,
  CONNECT_OUT: 0x14,
  REGISTER_SLAVE: 0x15,
  STMT_PREPARE: 0x16,
  STMT_EXECUTE: 0x17,
  STMT_SEND_LONG_DATA: 0x18,
  STMT_CLOSE: 0x19,
  STMT_RESET: 0x1a,
  SET_OPTION: 0x1b,
  STMT_FETCH: 0x1c,
  DAEMON: 0x1d,
  BINLOG_DUMP_GTID: 0x1e,
  RESET_CONNECTION: 0x1f,
} as const;

/** First byte of a response packet. */
export const Header = {
  OK: 0x00,
  /** AuthMoreData during login. */
  MORE_DATA: 0x01,
  LOCAL_INFILE: 0xfb,
  /** EOF, or an OK in EOF's place under DEPRECATE_EOF, or an AuthSwitchRequest during login. */
  EOF: 0xfe,
  ERR: 0xff,
} as const;

/** Column types (MySQL docs, "enum_field_types"). */
export const ColumnType = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  NULL: 0x06,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  NEWDATE: 0x0e,
  VARCHAR: 0x0f,
  BIT: 0x10,
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  ENUM: 0xf7,
  SET: 0xf8,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
  GEOMETRY: 0xff,
} as const;

/** Server error numbers the gateway sends itself (MySQL docs, "Server Error Message Reference"). */
export const ErrorCode = {
  ACCESS_DENIED: 1045,
  UNKNOWN_COM: 1047,
  HANDSHAKE: 1043,
  NET_PACKET_TOO_LARGE: 1153,
  NO_SUCH_THREAD: 1094,
  KILL_DENIED: 1095,
  TABLEACCESS_DENIED: 1142,
  NOT_ALLOWED_COMMAND: 1148,
  SPECIFIC_ACCESS_DENIED: 1227,
  NOT_SUPPORTED_YET: 1235,
  UNKNOWN_STMT_HANDLER: 1243,
  QUERY_INTERRUPTED: 1317,
  TOO_BIG_SELECT: 1104,
  CONNECTION_KILLED: 1927,
  SERVER_SHUTDOWN: 1053,
  BAD_DB: 1049,
  UNKNOWN_CHARACTER_SET: 1115,
} as const;

/** Largest payload one packet carries; a payload of exactly this size continues in the next packet. */
export const MAX_PACKET_PAYLOAD = 0xffffff;

/** utf8mb4_general_ci: the collation the gateway announces in its handshake. */
export const DEFAULT_COLLATION = 45;

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Handshake collations (one byte: ids up to 255) whose character set reads a statement's bytes
 * the way UTF-8 does: UTF-8 itself, and single-byte sets (latin1, ascii, binary), where `\` and
 * `'` are always themselves. A multi-byte set such as gbk, big5 or sjis lets a trailing byte be
 * 0x5c, so the server would see a backslash the gateway does not, and another statement.
 */
export const SAFE_CLIENT_COLLATIONS: ReadonlySet<number> = new Set([
  5, 8, 15, 31, 47, 48, 49, 94, // latin1
  11, 65, // ascii
  63, // binary
  33, 83, 223, ...range(192, 215), // utf8mb3
  45, 46, ...range(224, 247), 255, // utf8mb4
]);