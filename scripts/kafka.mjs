#!/usr/bin/env node
// A real single-node Apache Kafka broker (KRaft, no ZooKeeper, no Docker) for tests and hand runs.
//
//   node scripts/kafka.mjs up       start one on 127.0.0.1:${SQLVEIL_KAFKA_PORT:-9092} (or reuse one
//                                   that already answers there); also starts the local PostgreSQL
//                                   and MariaDB if they are installed but stopped
//   node scripts/kafka.mjs status   say whether a broker answers there and whether this script started it
//   node scripts/kafka.mjs down     stop the broker this script started (never anyone else's)
//
// Plain Node ESM (no TypeScript) so it runs before any build. The broker's jars come from Maven
// Central once (test/kafka/pom.xml -> .cache/kafka/libs); its config, data, pid file and log live in
// .cache/kafka/run. The functions below are exported for test/integration/kafka-broker.ts; the types
// are in scripts/kafka.d.mts. See docs/kafka.md.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAFKA_VERSION = '4.3.1';
export const KAFKA_HOST = '127.0.0.1';
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const POM = join(ROOT, 'test/kafka/pom.xml');
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves the ports and paths used by the other functions; every field can be overridden. */
export function kafkaPaths(opts = {}) {
  const envPort = process.env.SQLVEIL_KAFKA_PORT;
  const port = opts.port ?? (envPort ? Number(envPort) : 9092);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid Kafka port: ${envPort ?? opts.port}`);
  const cacheDir = opts.cacheDir ?? join(ROOT, '.cache/kafka');
  const runDir = opts.runDir ?? join(cacheDir, 'run');
  return {
    host: KAFKA_HOST,
    port,
    cacheDir,
    libsDir: opts.libsDir ?? join(cacheDir, 'libs'),
    runDir,
    pidFile: join(runDir, 'kafka.pid'),
    logFile: join(runDir, 'kafka.log'),
    configFile: join(runDir, 'server.properties'),
    log4jFile: join(runDir, 'log4j2.xml'),
    dataDir: join(runDir, 'data'),
  };
}

// ---------------------------------------------------------------------------------------------
// Probing a port: a raw Kafka ApiVersions v0 request, so it works without kafkajs and tells
// "nothing listens" from "something that is not Kafka listens".

/**
 * What answers on host:port: 'kafka' (a Kafka ApiVersions response), 'free' (connection refused)
 * or 'other' (it accepts connections but does not answer like Kafka within timeoutMs).
 */
export function probeKafka(port, host = KAFKA_HOST, timeoutMs = 2_000) {
  return new Promise((resolvePromise) => {
    const correlationId = 0x5eed0000 + Math.floor(Math.random() * 0xffff);
    const clientId = Buffer.from('sqlveil-probe');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0); // api_key: ApiVersions
    body.writeInt16BE(0, 2); // api_version 0: every broker since 0.10 answers it
    body.writeInt32BE(correlationId, 4);
    body.writeInt16BE(clientId.length, 8);
    clientId.copy(body, 10);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);

    let settled = false;
    let received = Buffer.alloc(0);
    const socket = connect({ host, port });
    const done = (verdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(verdict);
    };
    const timer = setTimeout(() => done('other'), timeoutMs);
    socket.on('connect', () => socket.write(Buffer.concat([size, body])));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const len = received.readInt32BE(0);
      if (len < 6 || len > 1_000_000) return done('other');
      if (received.length < 4 + len) return;
      const corr = received.readInt32BE(4);
      const errorCode = received.readInt16BE(8);
      // 0 = none, 35 = UNSUPPORTED_VERSION (a broker that dropped v0 still answers in v0 format).
      done(corr === correlationId && (errorCode === 0 || errorCode === 35) ? 'kafka' : 'other');
    });
    socket.on('error', (err) => done(err.code === 'ECONNREFUSED' ? 'free' : 'other'));
    socket.on('close', () => done('other'));
  });
}

/** True if a TCP port on host can be bound right now. */
function portIsFree(port, host = KAFKA_HOST) {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    socket.on('connect', () => { socket.destroy(); resolvePromise(false); });
    socket.on('error', (err) => resolvePromise(err.code === 'ECONNREFUSED'));
  });
}

// ---------------------------------------------------------------------------------------------
// Our broker's process.

function readPid(pidFile) {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Alive and not a zombie. */
function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return err.code === 'EPERM';
    }
  }
}

/** The pid in the pid file if that process is a Kafka broker running this run dir's config. */
export function ourBrokerPid(opts = {}) {
  const p = kafkaPaths(opts);
  const pid = readPid(p.pidFile);
  if (pid === null || !isAlive(pid)) return null;
  let cmdline;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null; // no /proc: cannot prove it is ours, so it is not
  }
  return cmdline.includes('kafka.Kafka') && cmdline.includes(p.configFile) ? pid : null;
}

function logTail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// Java, Maven and the jars.

function javaBin() {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Fails with a clear message if there is no Java 17 or newer. */
export function checkJava() {
  const java = javaBin();
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error) {
    throw new Error(
      r.error.code === 'ENOENT'
        ? `Java not found (${java}): the Kafka broker needs Java 17 or newer; install it (apt-get install default-jdk-headless) or set JAVA_HOME`
        : `cannot run ${java}: ${r.error.message}`,
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  if (!(major >= 17)) throw new Error(`Kafka ${KAFKA_VERSION} needs Java 17 or newer; ${java} is: ${(r.stderr || r.stdout).split('\n')[0]}`);
  return java;
}

function pomHash() {
  return createHash('sha256').update(readFileSync(POM)).digest('hex');
}

/** Fetches the broker's jars with Maven into libsDir, unless already there for this pom. */
export async function ensureJars(opts = {}) {
  const p = kafkaPaths(opts);
  const log = opts.log ?? (() => {});
  const stamp = join(p.libsDir, '.pom-sha256');
  const hash = pomHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return p.libsDir;

  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error) {
    throw new Error(`Maven not found: it fetches the Kafka ${KAFKA_VERSION} jars once (into ${p.libsDir}); install it (apt-get install maven)`);
  }
  log(`kafka: fetching the Kafka ${KAFKA_VERSION} jars with Maven into ${p.libsDir} (once)`);
  const t0 = Date.now();
  const tmp = `${p.libsDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(p.libsDir), { recursive: true });
  const args = ['-q', '-B', '-Dstyle.color=never', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`];
  const r = await new Promise((resolvePromise) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (err) => resolvePromise({ code: -1, out: String(err) }));
    child.on('close', (code) => resolvePromise({ code, out }));
  });
  if (r.code !== 0 || !existsSync(join(tmp, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`fetching the Kafka jars failed (mvn ${args.join(' ')}):\n${r.out.trim()}`);
  }
  writeFileSync(join(tmp, '.pom-sha256'), `${hash}\n`);
  rmSync(p.libsDir, { recursive: true, force: true });
  renameSync(tmp, p.libsDir);
  log(`kafka: ${readdirSync(p.libsDir).filter((f) => f.endsWith('.jar')).length} jars fetched in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return p.libsDir;
}

// ---------------------------------------------------------------------------------------------
// Config.

function serverProperties(p, controllerPort) {
  return [
    '# Written by scripts/kafka.mjs on every `up`: a single-node KRaft broker+controller for tests.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${p.host}:${controllerPort}`,
    `listeners=PLAINTEXT://${p.host}:${p.port},CONTROLLER://${p.host}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${p.host}:${p.port},CONTROLLER://${p.host}:${controllerPort}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${p.dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Test speed: no wait for more members before the first rebalance, and a small offsets topic
    // (50 partitions by default) so the first consumer group does not wait for it to load.
    'group.initial.rebalance.delay.ms=0',
    'offsets.topic.num.partitions=5',
    'transaction.state.log.num.partitions=5',
    '',
  ].join('\n');
}

function log4jXml() {
  // Quiet: WARN and above to stdout, which `up` sends to kafka.log; plus the one "started" line.
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/kafka.mjs: WARN and above, to stdout (= .cache/kafka/run/kafka.log). -->
<Configuration status="WARN" shutdownHook="disable">
  <Appenders>
    <Console name="out" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d{ISO8601}] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Logger name="kafka.server.KafkaRaftServer" level="INFO"/>
    <Root level="WARN"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
`;
}

async function pickControllerPort(port) {
  const envPort = process.env.SQLVEIL_KAFKA_CONTROLLER_PORT;
  if (envPort) return Number(envPort);
  if (port < 65535 && (await portIsFree(port + 1))) return port + 1;
  // Any free port: the controller listener is internal to this single node.
  const { createServer } = await import('node:net');
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, KAFKA_HOST, () => {
      const addr = srv.address();
      srv.close(() => resolvePromise(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/**
 * A cluster id as `kafka-storage random-uuid` makes one (16 random bytes, base64url without padding,
 * never starting with '-'), without paying for a JVM start.
 */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function runJava(java, args, cwd) {
  const r = spawnSync(java, args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${java} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${`${r.stdout}${r.stderr}`.trim()}`);
  }
  return r.stdout.trim();
}

// ---------------------------------------------------------------------------------------------
// Readiness: kafkajs admin metadata when kafkajs is installed, else the raw ApiVersions probe.

/** Serves metadata; with clusterId, only if it is that cluster (so not some other broker on the port). */
async function servesMetadata(p, clusterId) {
  if ((await probeKafka(p.port, p.host, 1_000)) !== 'kafka') return false;
  let kafkajs;
  try {
    kafkajs = await import('kafkajs');
  } catch {
    return true; // kafkajs not installed (no npm install yet): ApiVersions answering is as far as we check
  }
  const { Kafka, logLevel } = kafkajs.default ?? kafkajs;
  const admin = new Kafka({
    clientId: 'sqlveil-kafka-script',
    brokers: [`${p.host}:${p.port}`],
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && (!clusterId || cluster.clusterId === clusterId);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function waitUntilServing(p, clusterId, isChildAlive, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await servesMetadata(p, clusterId)) && isChildAlive()) return;
    if (!isChildAlive()) throw new Error(`the Kafka broker exited during startup; end of ${p.logFile}:\n${logTail(p.logFile)}`);
    await sleep(250);
  }
  throw new Error(`the Kafka broker did not serve within ${timeoutMs / 1000} s; end of ${p.logFile}:\n${logTail(p.logFile)}`);
}

// ---------------------------------------------------------------------------------------------
// up / down / status.

/**
 * Makes sure a Kafka broker serves on 127.0.0.1:port: reuses one that answers there (startedHere
 * false), else fetches the jars, writes the config, formats fresh storage and starts one detached.
 */
export async function kafkaUp(opts = {}) {
  const p = kafkaPaths(opts);
  const log = opts.log ?? (() => {});
  const brokers = [`${p.host}:${p.port}`];
  const t0 = Date.now();

  const reuseOrFail = async () => {
    const found = await probeKafka(p.port, p.host);
    if (found === 'kafka') {
      const pid = ourBrokerPid(opts);
      log(`kafka: reusing the broker on ${brokers[0]} (${pid ? `pid ${pid}, started by this script` : 'not started by this script'})`);
      return { brokers, pid, startedHere: false };
    }
    if (found === 'other') {
      throw new Error(`${brokers[0]} is taken by something that does not answer like Kafka; stop it or pick another port with SQLVEIL_KAFKA_PORT`);
    }
    return null;
  };
  const reused = await reuseOrFail();
  if (reused) return reused;

  // One `up` at a time per run dir: a second one waits, then reuses what the first started.
  const release = await lockRunDir(p, log);
  try {
    const reusedAfterWait = await reuseOrFail();
    if (reusedAfterWait) return reusedAfterWait;
    return await startBroker(p, opts, log, t0);
  } finally {
    release();
  }
}

/** Takes `<runDir>/up.lock` (waiting while a live process holds it); returns the release function. */
async function lockRunDir(p, log) {
  mkdirSync(p.runDir, { recursive: true });
  const lockFile = join(p.runDir, 'up.lock');
  const token = `${process.pid} ${randomBytes(6).toString('hex')}\n`;
  const deadline = Date.now() + 300_000; // covers another `up` that is fetching the jars
  let told = false;
  for (;;) {
    try {
      writeFileSync(lockFile, token, { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(lockFile, 'utf8') === token) rmSync(lockFile, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = readPid(lockFile);
    if (holder === null || !isAlive(holder)) {
      rmSync(lockFile, { force: true }); // left by an `up` that died
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another \`up\` (pid ${holder}) has held ${lockFile} for 5 minutes`);
    if (!told) log(`kafka: another \`up\` (pid ${holder}) is starting the broker; waiting for it`);
    told = true;
    await sleep(250);
  }
}

function formattedClusterId(p) {
  try {
    return /^cluster\.id=(.+)$/m.exec(readFileSync(join(p.dataDir, 'meta.properties'), 'utf8'))?.[1]?.trim() ?? null;
  } catch {
    return null;
  }
}

async function startBroker(p, opts, log, t0) {
  const brokers = [`${p.host}:${p.port}`];
  // A broker of ours that does not answer yet (its `up` was interrupted): wait for it, not start another.
  const starting = ourBrokerPid(opts);
  if (starting !== null) {
    log(`kafka: our broker (pid ${starting}) is starting; waiting for it`);
    await waitUntilServing(p, formattedClusterId(p), () => isAlive(starting), opts.timeoutMs ?? READY_TIMEOUT_MS);
    return { brokers, pid: starting, startedHere: false };
  }

  const java = checkJava();
  await ensureJars({ ...opts, log });
  const controllerPort = await pickControllerPort(p.port);
  if (!(await portIsFree(controllerPort))) throw new Error(`controller port ${p.host}:${controllerPort} is taken; set SQLVEIL_KAFKA_CONTROLLER_PORT`);

  // Fresh storage on every start: tests get an empty broker and a stale or half-written log can't bite.
  rmSync(p.dataDir, { recursive: true, force: true });
  mkdirSync(p.runDir, { recursive: true });
  writeFileSync(p.configFile, serverProperties(p, controllerPort));
  writeFileSync(p.log4jFile, log4jXml());
  const classPath = `${p.libsDir}/*`;
  const clusterId = randomClusterId();
  runJava(java, ['-cp', classPath, 'kafka.tools.StorageTool', 'format', '-c', p.configFile, '--cluster-id', clusterId, '--standalone'], p.runDir);

  const out = openSync(p.logFile, 'w');
  let exited = false;
  let child;
  try {
    child = spawn(java, [
      '-Xmx1g', '-Xms256m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${p.log4jFile}`, `-Dkafka.logs.dir=${p.runDir}`,
      '-cp', classPath, 'kafka.Kafka', p.configFile,
    ], { cwd: p.runDir, detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  child.on('exit', () => { exited = true; });
  child.on('error', () => { exited = true; });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${java}; see ${p.logFile}`);
  writeFileSync(p.pidFile, `${pid}\n`);

  try {
    await waitUntilServing(p, clusterId, () => !exited && isAlive(pid), opts.timeoutMs ?? READY_TIMEOUT_MS);
  } catch (err) {
    await stopPid(pid);
    if (readPid(p.pidFile) === pid) rmSync(p.pidFile, { force: true });
    throw err;
  }
  log(`kafka: ready on ${brokers[0]} (pid ${pid}) in ${((Date.now() - t0) / 1000).toFixed(1)} s; log ${p.logFile}`);
  return { brokers, pid, startedHere: true };
}

async function stopPid(pid) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'gone';
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'SIGTERM';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'SIGTERM';
  }
  while (isAlive(pid)) await sleep(100);
  return 'SIGKILL';
}

/**
 * Stops the broker this script started (per the pid file, checked against /proc/PID/cmdline):
 * SIGTERM, then SIGKILL after 10 s. Anything else, including a broker that answers on the port but
 * was started some other way, is left alone: { stopped: false, refused: true }.
 */
export async function kafkaDown(opts = {}) {
  const p = kafkaPaths(opts);
  const log = opts.log ?? (() => {});
  const where = `${p.host}:${p.port}`;
  const pid = ourBrokerPid(opts);
  if (pid === null) {
    const stalePid = readPid(p.pidFile);
    if (stalePid !== null) rmSync(p.pidFile, { force: true }); // dead, or not our broker: stale
    const found = await probeKafka(p.port, p.host);
    const message = found === 'kafka'
      ? `kafka: refusing to stop the broker on ${where}: this script did not start it${stalePid !== null ? ` (stale pid file named pid ${stalePid}, removed)` : ''}`
      : `kafka: no broker started by this script is running${stalePid !== null ? ` (stale pid file named pid ${stalePid}, removed)` : ''}`;
    log(message);
    return { stopped: false, refused: found === 'kafka', message };
  }
  const t0 = Date.now();
  const how = await stopPid(pid);
  rmSync(p.pidFile, { force: true });
  const message = `kafka: stopped the broker on ${where} (pid ${pid}, ${how}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  log(message);
  return { stopped: true, refused: false, message };
}

/** Whether a Kafka broker answers on the port, and whether this script started it. */
export async function kafkaStatus(opts = {}) {
  const p = kafkaPaths(opts);
  const where = `${p.host}:${p.port}`;
  const found = await probeKafka(p.port, p.host);
  const pid = ourBrokerPid(opts);
  let message;
  if (found === 'kafka') message = pid ? `kafka: running on ${where} (pid ${pid}, started by this script; log ${p.logFile})` : `kafka: a broker answers on ${where}, not started by this script`;
  else if (pid) message = `kafka: our broker (pid ${pid}) is running but does not answer on ${where} yet; log ${p.logFile}`;
  else if (found === 'other') message = `kafka: ${where} is taken by something that does not answer like Kafka`;
  else message = `kafka: not running on ${where}`;
  return { answering: found === 'kafka', ours: pid !== null, pid, port: p.port, message };
}

// ---------------------------------------------------------------------------------------------
// The local databases the integration tests use (best effort: never fails `up`).

function quiet(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: !r.error && r.status === 0, missing: r.error?.code === 'ENOENT', out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

async function waitFor(check, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(500);
  }
  return false;
}

/** Starts the local PostgreSQL and MariaDB if installed but stopped; reports one line each. */
export async function startLocalDatabases(log = () => {}) {
  const pgReady = () => quiet('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432']);
  const first = pgReady();
  if (first.missing) log('postgres: not installed (no pg_isready); skipped');
  else if (first.ok) log('postgres: already running on 127.0.0.1:5432');
  else {
    const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
    if (versions.length === 0) log('postgres: not running and no cluster in /etc/postgresql; skipped');
    else {
      const r = quiet('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'start']);
      if (r.missing) log('postgres: not running and pg_ctlcluster not found; skipped');
      else {
        const up = await waitFor(() => pgReady().ok, 30_000);
        log(up ? `postgres: started cluster ${versions[0]}/main on 127.0.0.1:5432` : `postgres: could not start cluster ${versions[0]}/main: ${r.out || 'not ready after 30 s'}`);
      }
    }
  }

  // Without the mariadb client, "answers" means "something accepts connections on 3306".
  const client = quiet('mariadb', ['-uroot', '-h127.0.0.1', '-e', 'select 1']);
  const mariaUp = client.missing ? async () => !(await portIsFree(3306)) : () => quiet('mariadb', ['-uroot', '-h127.0.0.1', '-e', 'select 1']).ok;
  if (await mariaUp()) log(`mariadb: already running on 127.0.0.1:3306${client.missing ? ' (port open; no mariadb client to check it)' : ''}`);
  else if (!existsSync('/usr/sbin/mariadbd')) log(`mariadb: ${client.missing ? 'not installed' : 'not answering on 127.0.0.1:3306 and no /usr/sbin/mariadbd'}; skipped`);
  else {
    const r = quiet('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd']);
    if (!r.ok) log(`mariadb: could not start /usr/sbin/mariadbd: ${r.missing ? 'start-stop-daemon not found' : r.out}`);
    else if (/already running/.test(r.out)) log(`mariadb: mariadbd is running but \`mariadb -uroot -h127.0.0.1\` fails: ${client.out}`);
    else {
      const up = await waitFor(mariaUp, 30_000);
      log(up ? 'mariadb: started /usr/sbin/mariadbd on 127.0.0.1:3306' : 'mariadb: started /usr/sbin/mariadbd but it does not answer on 127.0.0.1:3306 after 30 s');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CLI.

async function main(argv) {
  const log = (line) => console.log(line);
  const cmd = argv[0];
  switch (cmd) {
    case 'up': {
      await startLocalDatabases(log);
      await kafkaUp({ log });
      return 0;
    }
    case 'down': {
      const r = await kafkaDown({ log });
      return r.refused ? 1 : 0;
    }
    case 'status': {
      const s = await kafkaStatus();
      log(s.message);
      return s.answering ? 0 : 3;
    }
    default:
      console.error('usage: node scripts/kafka.mjs up|down|status   (port: SQLVEIL_KAFKA_PORT, default 9092; see docs/kafka.md)');
      return 2;
  }
}

const invokedAs = process.argv[1] ? (() => { try { return realpathSync(process.argv[1]); } catch { return ''; } })() : '';
if (invokedAs === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err) => { console.error(`kafka: error: ${err instanceof Error ? err.message : err}`); process.exitCode = 1; },
  );
}
