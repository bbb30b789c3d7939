// Ties parse-tree constants back to the fingerprint's literals. The parser reports locations as
// byte offsets into the UTF-8 statement; the lexer's literals are UTF-16 offsets.

import type { Literal } from './fingerprint.js';

export class LiteralLocator {
  private byByteOffset: Map<number, number> | undefined;

  /**
   * @param literals the fingerprint's literals, or undefined when the string was not
   *   fingerprinted cleanly (then no constant is tied to a literal and nothing is cached)
   */
  constructor(
    private readonly sql: string,
    private readonly literals: readonly Literal[] | undefined,
    private readonly ascii: boolean,
  ) {}

  /** Index of the literal that starts at this parser location, if one does. */
  literalAt(location: number | undefined): number | undefined {
    if (this.literals === undefined || location === undefined || location < 0) return undefined;
    this.byByteOffset ??= this.index();
    return this.byByteOffset.get(location);
  }

  literal(index: number): Literal | undefined {
    return this.literals?.[index];
  }

  /** The character at a parser location (a byte offset). */
  charAt(location: number): string | undefined {
    if (this.ascii) return this.sql[location];
    let bytes = 0;
    for (let i = 0; i < this.sql.length; i++) {
      if (bytes === location) return this.sql[i];
      if (bytes > location) return undefined;
      bytes += utf8Length(this.sql.charCodeAt(i));
    }
    return undefined;
  }

  private index(): Map<number, number> {
    const map = new Map<number, number>();
    const literals = this.literals ?? [];
    if (this.ascii) {
      literals.forEach((literal, index) => map.set(literal.start, index));
      return map;
    }
    let bytes = 0;
    let char = 0;
    literals.forEach((literal, index) => {
      for (; char < literal.start; char++) bytes += utf8Length(this.sql.charCodeAt(char));
      map.set(bytes, index);
    });
    return map;
  }
}

/** UTF-8 bytes of a UTF-16 unit; a surrogate pair counts 2 + 2. */
function utf8Length(code: number): number {
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdfff) return 2;
  return 3;
}
