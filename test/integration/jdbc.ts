// Fetches JDBC drivers with Maven once (cached in .cache/jdbc) for the JDBC integration tests.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from './harness.js';

const CACHE = join(ROOT, '.cache/jdbc');

/** Class path of the drivers in test/jdbc/pom.xml, fetching them on first use. */
export async function jdbcClassPath(): Promise<string> {
  const jars = () => (existsSync(CACHE) ? readdirSync(CACHE).filter((f) => f.endsWith('.jar')) : []);
  if (jars().length === 0) {
    const r = await run('mvn', ['-q', '-B', '-f', join(ROOT, 'test/jdbc/pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${CACHE}`], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`fetching JDBC drivers with Maven failed: ${r.stdout}${r.stderr}`);
  }
  return jars().map((j) => join(CACHE, j)).join(':');
}
