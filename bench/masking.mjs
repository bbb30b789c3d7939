// Throughput of the masking engine on the gateway's hot path: the content detectors (`detect` and
// message masking) in MB/s over clinical free text, with and without identifiers and with a
// 10,000-name dictionary, and the per-cell cost of the column strategies.
// Run after `npm run build`:  node bench/masking.mjs   (SQLVEIL_DIST=<dir> to use another build)
// Rates are per second of this process's CPU time (process.cpuUsage), so other load on a shared
// machine does not skew them; wall-clock rates are printed alongside.
import { Buffer } from 'node:buffer';
import { URL, pathToFileURL } from 'node:url';

const dist = process.env.SQLVEIL_DIST ? pathToFileURL(`${process.env.SQLVEIL_DIST}/`).href : new URL('../dist/', import.meta.url).href;
const { MaskingEngine: Engine } = await import(new URL('src/masking/index.js', dist).href);

const config = {
  onUnknownLineage: 'refuse',
  hashKey: { source: 'value', key: Buffer.from('bench-key-bench-key-bench-key-12') },
  detectors: {
    builtin: ['ssn', 'email', 'phone', 'date', 'credit-card', 'ipv4', 'ipv6', 'url'],
    patterns: [{ name: 'mrn', regex: 'MRN-\\d{6}', ignoreCase: true, replacement: '[MRN]' }],
    dictionaries: [{ name: 'patient-names', words: [], minLength: 3, replacement: '[NAME]' }],
  },
  rules: [
    { name: 'hash', columns: ['c.p.hash'], except: [], strategy: { kind: 'hash', prefix: 'h_', length: 16 } },
    { name: 'partial', columns: ['c.p.partial'], except: [], strategy: { kind: 'partial', keepFirst: 0, keepLast: 4, maskChar: '*' } },
    { name: 'format', columns: ['c.p.format'], except: [], strategy: { kind: 'format' } },
    { name: 'redact', columns: ['c.p.redact'], except: [], strategy: { kind: 'redact', text: '***' } },
    { name: 'email', columns: ['c.p.email'], except: [], strategy: { kind: 'email', keepDomain: true, maskChar: '*' } },
    { name: 'generalize', columns: ['c.p.generalize'], except: [], strategy: { kind: 'generalize', to: 'year', width: 10 } },
  ],
};

const clean = [
  'Patient reports fatigue and mild headache since last visit; A1c 7.9, BP 150/95, HR 72.',
  'Discussed plan: continue metformin 500 mg twice daily, recheck labs in 3 months (ICD E11.9).',
  'No acute distress. Lungs clear to auscultation bilaterally; follow-up in 2 weeks, version 1.2.3.',
  'Referred to oncology for further evaluation of the lesion noted on imaging, 2.5 cm, stable.',
];
const dirty = [
  'Call back at +1-555-010-0001 or 555-010-0002; SSN on file 900-11-0002, DOB 03/14/1961.',
  'Email ada.quintero@example.org, MRN-000001, card 4111 1111 1111 1111, seen 2026-01-05.',
  'Patient Ada Quintero reports fatigue; portal https://portal.example.org/p/17 from 10.0.0.1.',
  'Referred by Dr. Hale; Bram Okafor brought records, fe80::1ff:fe23:4567:890a, 123-45-6789.',
];

function corpus(lines, bytes) {
  const out = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = lines[i % lines.length];
    out.push(line);
    size += Buffer.byteLength(line);
  }
  return { values: out, bytes: size };
}

/** Runs `work` and returns [CPU seconds, wall seconds]. */
function timed(work) {
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  work();
  const used = process.cpuUsage(cpu);
  return [(used.user + used.system) / 1e6, Number(process.hrtime.bigint() - wall) / 1e9];
}

function mbPerSecond(engine, { values, bytes }) {
  for (let i = 0; i < Math.min(values.length, 20000); i++) engine.maskMessageText(values[i]);
  let changed = 0;
  const [cpu, wall] = timed(() => {
    for (const value of values) if (engine.maskMessageText(value) !== value) changed++;
  });
  return { mbps: bytes / 1e6 / cpu, wallMbps: bytes / 1e6 / wall, changed };
}

function cellsPerSecond(engine, column, value, cells) {
  const plan = engine.planResult('agent', [{ name: column, origin: { schema: 'c', table: 'p', column }, type: 'text' }]);
  const masker = engine.rowMasker(plan);
  for (let i = 0; i < 20000; i++) masker.apply(0, value);
  const [cpu] = timed(() => {
    for (let i = 0; i < cells; i++) masker.apply(0, value);
  });
  return cells / cpu;
}

const size = Number(process.env.BENCH_MB ?? 20) * 1e6;
// 10,000 distinct letter-only names (two words each), plus the fixture's.
const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'ze', 'da', 'fo', 'gu', 'hi', 'jo', 'ba', 'pe', 'qui', 'wo', 'xa', 'yu'];
const word = (n) => syllables[n % 20] + syllables[Math.floor(n / 20) % 20] + syllables[Math.floor(n / 400) % 20] + syllables[Math.floor(n / 8000) % 20];
const names = [];
for (let i = 0; i < 10000; i++) names.push(`${word(i)} ${word(i + 10000)}`);
names.push('Ada Quintero', 'Bram Okafor');

const withoutNames = new Engine(config);
const withNames = new Engine(config);
withNames.setDictionary('patient-names', names);

const rows = [
  ['clean text, detectors only', withoutNames, corpus(clean, size)],
  ['identifier-dense text, detectors only', withoutNames, corpus(dirty, size)],
  ['clean text, + 10k-name dictionary', withNames, corpus(clean, size)],
  ['identifier-dense text, + 10k-name dictionary', withNames, corpus(dirty, size)],
];
console.log(`detectors (8 built-in + MRN pattern), ${size / 1e6} MB of ~90-byte values per run, node ${process.version}`);
for (const [label, engine, data] of rows) {
  const { mbps, wallMbps, changed } = mbPerSecond(engine, data);
  console.log(`  ${label.padEnd(46)} ${mbps.toFixed(1).padStart(7)} MB/s CPU  ${wallMbps.toFixed(1).padStart(7)} MB/s wall  (${changed}/${data.values.length} values changed)`);
}

const cells = Number(process.env.BENCH_CELLS ?? 1_000_000);
console.log(`column strategies, ${cells} cells each`);
for (const [column, value] of [
  ['redact', 'Ada Quintero'],
  ['partial', '900-11-0001'],
  ['email', 'ada.quintero@example.org'],
  ['generalize', '1961-03-14'],
  ['hash', 'MRN-000001'],
  ['format', '+1-555-010-0001'],
]) {
  const rate = cellsPerSecond(withoutNames, column, value, cells);
  console.log(`  ${column.padEnd(12)} ${(rate / 1e6).toFixed(2).padStart(6)} M cells/CPU-s  (${(1e9 / rate).toFixed(0)} ns/cell)`);
}
