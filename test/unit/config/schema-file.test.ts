// rules/schema.json is what editors read; it must say exactly what the loader enforces.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configSchema, renderSchemaJson } from '../../../src/policy/config/schema.js';

const schemaFile = fileURLToPath(new URL('../../../rules/schema.json', import.meta.url));
const regenerate = 'SQLVEIL_WRITE_SCHEMA=1 npx vitest run test/unit/config/schema-file.test.ts';

describe('rules/schema.json', () => {
  it('equals the schema the loader validates with', () => {
    if (process.env.SQLVEIL_WRITE_SCHEMA === '1') writeFileSync(schemaFile, renderSchemaJson());
    const shipped: unknown = JSON.parse(readFileSync(schemaFile, 'utf8'));
    expect(shipped, `rules/schema.json is out of date; regenerate it with: ${regenerate}`).toEqual(configSchema);
  });
});
