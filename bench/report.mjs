#!/usr/bin/env node
// Turns the raw results of scripts/bench into the table: printed as aligned text on stdout and
// written as markdown for the README's performance section.
//
//   node bench/report.mjs RAW_DIR REPORT_MD
//
// RAW_DIR holds hyperfine's JSON exports (cached.json, flow.json, slow.json, https-RTT-*.json),
// critical-path.json, https-critical-path.json and facts.json; a part whose files are missing was not run and is left out. Times are medians
// (robust against the odd slow run on a shared 2-core machine), shown with their spread.
import * as fs from 'node:fs';
import * as path from 'node:path';

const [rawDir, reportFile] = process.argv.slice(2);
if (!rawDir || !reportFile) {
  console.error('usage: report.mjs RAW_DIR REPORT_MD');
  process.exit(2);
}
const load = (name) => {
  const file = path.join(rawDir, name);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
};
const facts = load('facts.json') ?? {};

// The named commands' statistics over all rounds (NAME.1.json, NAME.2.json, ...), or undefined
// when a file or one of the commands is missing.
function timings(name, commands) {
  const files = fs.existsSync(rawDir)
    ? fs.readdirSync(rawDir).filter((f) => f.startsWith(`${name}.`) && f.endsWith('.json') && /^\d+$/.test(f.slice(name.length + 1, -5)))
    : [];
  if (!files.length) return undefined;
  const times = new Map();
  for (const f of files) {
    for (const r of load(f).results) times.set(r.command, [...(times.get(r.command) ?? []), ...r.times]);
  }
  const missing = commands.filter((c) => !times.has(c));
  if (missing.length) {
    console.error(`report: ${name} lacks ${missing.join(', ')}; part left out`);
    return undefined;
  }
  return Object.fromEntries([...times].map(([command, ts]) => {
    const sorted = [...ts].sort((a, b) => a - b);
    const q = (p) => {
      const i = p * (sorted.length - 1);
      return sorted[Math.floor(i)] + (sorted[Math.ceil(i)] - sorted[Math.floor(i)]) * (i - Math.floor(i));
    };
    return [command, { median: q(0.5), q1: q(0.25), q3: q(0.75), n: sorted.length }];
  }));
}

const ms = (s) => {
  const v = s * 1000;
  return v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`;
};
const timed = (t) => `${ms(t.median)} (IQR ${ms(t.q1).replace(' ms', '')}–${ms(t.q3)})`;
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
const x = (r) => `${r.toFixed(2)}x`;

const rows = [];
const notes = [];
function row(part, figure, value, baseline, ratio, goal, pass) {
  rows.push({ part, figure, value, baseline, ratio, goal, result: pass === undefined ? 'info' : pass ? 'pass' : 'FAIL' });
}

// Part 1: a cached token costs what reading the credential entry costs, plus our own start-up.
const cachedPass = timings('cached-pass', ['helper-get', 'token-pass']);
const cachedFile = timings('cached-file', ['cat-file', 'token-file']);
const cached = cachedPass && cachedFile ? { ...cachedPass, ...cachedFile } : undefined;
if (cached) {
  const { 'helper-get': get, 'token-pass': pass, 'cat-file': cat, 'token-file': file } = cached;
  const calls = facts.helper_calls ?? [];
  row('1', '`mcp-token URL`, token cached in pass', timed(pass), `\`docker-credential-pass get\` alone: ${timed(get)}`,
    x(pass.median / get.median), '≤ 1.10x', pass.median / get.median <= 1.1);
  const own = pass.median - get.median;
  row('1', 'our own time over the helper (pass)', ms(own), 'difference of the medians', '', '< 5 ms', own < 0.005);
  row('1', '`mcp-token URL`, file store', timed(file), `\`cat\` of the store file: ${timed(cat)}`,
    x(file.median / cat.median), 'see own time', undefined);
  row('1', 'our own time over a process start (file)', ms(file.median - cat.median), 'difference of the medians', '',
    '< 1 ms', file.median - cat.median < 0.001);
  notes.push(`Part 1: one cached \`mcp-token\` ran the helper ${calls.length} time(s) (${calls.join(', ') || 'none'}); `
    + 'each run is a process start plus a GnuPG decryption, so the ratio against a single `get` is about that count.');
}

// Part 1, DPoP: the proof (a second store read for the key, an ES256 signature) on a cached token.
const cachedDpop = timings('cached-dpop', ['token-bearer', 'token-dpop']);
if (cachedDpop) {
  const { 'token-bearer': bearer, 'token-dpop': dpop } = cachedDpop;
  row('1', '`mcp-token --format header URL`, DPoP token cached (file store)', timed(dpop),
    `the same for a Bearer token: ${timed(bearer)}`, x(dpop.median / bearer.median), 'see own time', undefined);
  row('1', 'DPoP proof, wall time (key read and signature)', ms(dpop.median - bearer.median),
    'difference of the medians', '', 'see CPU time', undefined);
  // On a loaded machine one more store read is one more chance to be preempted, which wall
  // time counts and CPU time (hyperfine's user + system means over all rounds) does not.
  const cpu = (command) => {
    const rounds = fs.readdirSync(rawDir).filter((f) => /^cached-dpop\.\d+\.json$/.test(f))
      .flatMap((f) => load(f).results.filter((r) => r.command === command));
    return rounds.reduce((sum, r) => sum + r.user + r.system, 0) / rounds.length;
  };
  const own = cpu('token-dpop') - cpu('token-bearer');
  row('1', 'own time of the DPoP proof: CPU (user + system)', ms(own),
    `Bearer: ${ms(cpu('token-bearer'))} of CPU, DPoP: ${ms(cpu('token-dpop'))}`, '', '< 1 ms', own < 0.001);
  const dpopCalls = facts.dpop_helper_calls;
  if (dpopCalls) {
    notes.push(`Part 1, DPoP: one cached \`mcp-token --format header\` for a DPoP token in pass ran the helper ${dpopCalls.length} `
      + `time(s) (${dpopCalls.join(', ')}): the token and its key are separate entries, so with pass the proof costs one more helper run.`);
  }
}

// Part 2: the usual alternative, end to end, each run with fresh state.
const flow = timings('flow', ['pipeline', 'sdk', 'node-start']);
if (flow) {
  const { pipeline, sdk, 'node-start': nodeStart } = flow;
  row('2', '`mcp-discover | mcp-dcr | mcp-authorize`, fresh store', timed(pipeline),
    `TypeScript MCP SDK \`auth()\`: ${timed(sdk)}`, `${x(sdk.median / pipeline.median)} faster`, '≥ 5x faster',
    sdk.median / pipeline.median >= 5);
  row('2', 'Node.js process start (`node -e 0`)', timed(nodeStart), 'paid by both: the browser stand-in is Node', '', '', undefined);
  const split = facts.browser_split;
  if (split?.pipeline?.length && split?.sdk?.length) {
    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const browser = (f) => median(split[f].map((r) => r.browser_ns)) / 1e9;
    const outside = (f) => median(split[f].map((r) => r.total_ns - r.browser_ns)) / 1e9;
    row('2', 'of which the browser stand-in, while the client runs', `${ms(browser('pipeline'))} in the pipeline`,
      `${ms(browser('sdk'))} in the SDK flow`, '', '', undefined);
    row('2', 'each client outside the browser (run by run: total − stand-in)', ms(outside('pipeline')),
      `TypeScript MCP SDK: ${ms(outside('sdk'))}`, `${x(outside('sdk') / outside('pipeline'))} faster`, '', undefined);
  }
  notes.push('Part 2: both sides run the same browser stand-in (a Node process) and talk to the same servers, so '
    + `about ${ms(nodeStart.median)} of Node start-up plus the authorization server's own work is common to both `
    + 'and bounds the ratio from above.');
}

// Part 3: with 50 ms on every response, time is round trips; the floor is the dependency chain.
const slow = timings('slow', ['discover', 'pipeline', 'sdk']);
const cp = load('critical-path.json');
if (slow && cp) {
  const delay = cp.delay_ms / 1000;
  for (const [name, label, part] of [['discover', '`mcp-discover URL`', cp.discover], ['pipeline', 'whole pipeline', cp.pipeline]]) {
    const floor = part.critical * delay;
    const r = slow[name].median / floor;
    row('3', `${label}, ${cp.delay_ms} ms per response`, timed(slow[name]),
      `${part.critical} sequential round trips × ${cp.delay_ms} ms = ${ms(floor)}`, x(r), '≤ 1.15x', r <= 1.15);
  }
  if (flow) {
    const added = slow.pipeline.median - flow.pipeline.median;
    const floor = cp.pipeline.critical * delay;
    row('3', 'time the delay added to the pipeline (50 ms run − part 2 run)', ms(added),
      `${cp.pipeline.critical} × ${cp.delay_ms} ms = ${ms(floor)}`, x(added / floor), '', undefined);
  }
  const sdkSlow = slow.sdk.median / (cp.pipeline.critical * delay);
  row('3', `TypeScript SDK flow, ${cp.delay_ms} ms per response`, timed(slow.sdk),
    `the pipeline's ${cp.pipeline.critical} round trips: ${ms(cp.pipeline.critical * delay)}`, x(sdkSlow), '', undefined);
  const lines = cp.pipeline.requests.map((r) => `trip ${String(r.depth).padStart(2)} ${r.counts ? 'counts' : '------'} `
    + `${r.who.padEnd(13)} ${r.method.padEnd(4)} ${r.status ?? '---'} ${new URL(r.url).pathname.replace(/^\/(interaction|auth)\/[^/]+/, '/$1/<uid>').padEnd(44)} ${r.role}`
    + `${r.counts ? '' : ` (not counted: ${r.why})`}`);
  notes.push(`Part 3: the critical path, counted from one traced run with the delay: ${cp.pipeline.total} requests, `
    + `${cp.pipeline.critical} round trips one after another (mcp-discover alone: ${cp.discover.total} requests in `
    + `${cp.discover.critical} round trips). Requests in flight together share a round trip (same "trip" number); a `
    + 'request starts a new one when it needs an earlier answer: the metadata URL comes from the 401 (fetched '
    + 'at its default location meanwhile), the authorization server from the resource metadata, the endpoints '
    + 'from its metadata, the client id from the registration, each browser hop from the previous redirect, '
    + 'the code from the callback. Not counted: requests to the tool\'s own loopback listener (no delay), '
    + 'failed well-known candidates that could have been fetched at once, and repeats of earlier GETs:\n\n'
    + `\`\`\`\n${lines.join('\n')}\n\`\`\``);
}

// Part 5: over HTTPS behind the latency proxy, at each round-trip time, against the SDK in the
// same run. Round trips paid = (median at RTT − median at 0) / RTT: the handshakes included.
const https = facts.https ?? {};
const httpsCp = load('https-critical-path.json');
// The protocol's floor for the whole flow: the chain of requests that need an earlier answer,
// plus a TCP and a TLS 1.3 handshake (2 round trips) before each of the three first
// connections that chain waits for: the client's to the MCP server, the client's to the
// authorization server, the browser's to the authorization server.
const floorTrips = httpsCp ? httpsCp.pipeline.critical + 6 : undefined;
const byRtt = Object.keys(https).map(Number).sort((a, b) => a - b).map((rtt) => ({
  rtt,
  flow: timings(`https-${rtt}-flow`, ['pipeline', 'one-process', 'sdk']),
  refresh: timings(`https-${rtt}-refresh`, ['refresh', 'sdk-refresh', 'curl']),
  cached: timings(`https-${rtt}-cached`, ['cached']),
  conns: https[rtt].connections ?? {},
}));
const zero = byRtt.find((r) => r.rtt === 0);
for (const { rtt, flow: f, refresh: r, cached: c, conns } of byRtt) {
  const part = `5 (${rtt} ms)`;
  if (f) {
    const vsSdk = (t) => t.median / f.sdk.median;
    const goalAt50 = rtt === 50;
    row(part, `\`mcp-discover \| mcp-dcr \| mcp-authorize\` over HTTPS, RTT ${rtt} ms`, timed(f.pipeline),
      `SDK \`auth()\`: ${timed(f.sdk)}`, x(vsSdk(f.pipeline)), goalAt50 ? '≤ 1.00x' : '',
      goalAt50 ? vsSdk(f.pipeline) <= 1 : undefined);
    row(part, '`mcp-authorize URL` (one process)', timed(f['one-process']), `SDK \`auth()\`: ${timed(f.sdk)}`,
      x(vsSdk(f['one-process'])), goalAt50 ? '≤ 0.80x' : '', goalAt50 ? vsSdk(f['one-process']) <= 0.8 : undefined);
    row(part, 'connections opened in one run (the browser\'s included)',
      `pipeline ${conns.pipeline ?? '?'}, one process ${conns.one ?? '?'}`, `SDK: ${conns.sdk ?? '?'}`, '', '', undefined);
    if (rtt > 0 && zero?.flow) {
      const trips = (name) => (f[name].median - zero.flow[name].median) / (rtt / 1000);
      row(part, 'round trips paid, handshakes included ((t − t at 0 ms) / RTT)',
        `pipeline ${trips('pipeline').toFixed(1)}, one process ${trips('one-process').toFixed(1)}`,
        `SDK: ${trips('sdk').toFixed(1)}; protocol minimum: ${floorTrips ?? '?'}`,
        floorTrips ? x(trips('one-process') / floorTrips) : '', '', undefined);
    }
  }
  if (r) {
    const floor = (3 * rtt) / 1000;
    row(part, '`mcp-token --min-valid` (forced refresh)', timed(r.refresh),
      rtt > 0 ? `1 TCP + 1 TLS handshake + 1 request = 3 × ${rtt} ms = ${ms(floor)}` : `SDK refresh: ${timed(r['sdk-refresh'])}`,
      rtt > 0 ? x(r.refresh.median / floor) : x(r.refresh.median / r['sdk-refresh'].median),
      rtt > 0 ? '≤ 1.10x' : '', rtt > 0 ? r.refresh.median / floor <= 1.1 : undefined);
    if (rtt > 0 && zero?.refresh) {
      const paid = (name) => (r[name].median - zero.refresh[name].median) / (rtt / 1000);
      row(part, 'round trips paid by one refresh ((t − t at 0 ms) / RTT)', paid('refresh').toFixed(2),
        `SDK: ${paid('sdk-refresh').toFixed(2)}; curl: ${paid('curl').toFixed(2)}; minimum: 3`, x(paid('refresh') / 3), '', undefined);
    }
    if (rtt > 0) {
      row(part, 'SDK `auth()` refresh (discovery state kept)', timed(r['sdk-refresh']), `3 × ${rtt} ms = ${ms(floor)}`,
        x(r['sdk-refresh'].median / floor), '', undefined);
    }
    row(part, 'curl: one request on a new HTTPS connection (refused refresh)', timed(r.curl), 'a baseline for the refresh',
      x(r.refresh.median / r.curl.median), '', undefined);
    row(part, 'connections opened by one refresh', `${conns.refresh ?? '?'}`, `SDK: ${conns.sdk_refresh ?? '?'}`, '', '1', conns.refresh === 1);
  }
  if (c) row(part, '`mcp-token URL`, cached (file store)', timed(c.cached), 'no network whatever the RTT', '', '', undefined);
}
if (facts.https_rss) {
  for (const [what, kb] of Object.entries(facts.https_rss)) {
    row('5', `peak RSS over HTTPS: \`${what}\``, mib(kb * 1024), '', '', '< 10 MiB', kb * 1024 < 10 * 1048576);
  }
}
if (httpsCp) {
  notes.push(`Part 5: every server speaks HTTPS (a throwaway CA from tests/fixtures/make-ca.sh, trusted through SSL_CERT_FILE and `
    + 'NODE_EXTRA_CA_CERTS) behind a latency proxy (tests/fixtures/latency.mjs) that delays every chunk each way by '
    + 'half the RTT and holds a client\'s first bytes one RTT after the accept, so a new connection costs a TCP and '
    + `a TLS 1.3 handshake (2 round trips) before its request. The protocol minimum for the flow is the chain of `
    + `${httpsCp.pipeline.critical} requests that each need an earlier answer (traced at ${httpsCp.rtt_ms} ms) plus 2 round `
    + 'trips for each of the three first connections on that chain (client to MCP server, client to authorization '
    + 'server, browser to authorization server). A pipeline of three processes cannot share connections: `mcp-dcr` '
    + 'pays its own handshakes, and `mcp-authorize` hides its own by connecting to the token endpoint while the user is '
    + 'in the browser. Round trips paid include each client\'s CPU time that grows with the RTT (none should).');
}

// Part 4: footprint of each tool, against the Node process running the SDK flow.
if (facts.sizes && facts.sdk) {
  for (const [tool, { bytes, rss_kb: rss }] of Object.entries(facts.sizes)) {
    row('4', `\`${tool}\`: binary ${mib(bytes)}, peak RSS`, mib(rss * 1024), `SDK flow in Node: ${mib(facts.sdk.rss_kb * 1024)}`,
      x((rss * 1024) / (facts.sdk.rss_kb * 1024)), '', undefined);
  }
  const total = Object.values(facts.sizes).reduce((a, s) => a + s.bytes, 0);
  const alt = facts.sdk.node_bytes + facts.sdk.node_modules_bytes;
  row('4', 'all five binaries (release, stripped)', mib(total),
    `node binary + SDK node_modules: ${mib(alt)}`, x(total / alt), '', undefined);
}

if (!rows.length) {
  console.error('report: no results found in', rawDir);
  process.exit(1);
}

const header = ['part', 'figure', 'measured', 'baseline (same run)', 'ratio', 'goal', 'result'];
const cells = rows.map((r) => [r.part, r.figure, r.value, r.baseline, r.ratio, r.goal, r.result]);
const m = facts.machine ?? {};
const machine = `${m.nproc ?? '?'} CPUs, ${m.cpu ?? 'unknown CPU'}; commit ${m.commit ?? '?'}, ${m.date ?? ''}; `
  + `load average ${m.load_before ?? '?'} before, ${facts.load_after ?? '?'} after; `
  + `${m.runs ?? '?'} runs per figure (part 1: 4 times that) in alternating rounds, each after 2 warm-ups; \`${m.command ?? 'scripts/bench'}\``;

const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => c.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const c of cells) console.log(line(c));
console.log(`\n${machine}\n`);
for (const n of notes) console.log(`${n}\n`);

const md = [
  '# mcp-oauth benchmark',
  '',
  machine,
  '',
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...cells.map((c) => `| ${c.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`),
  '',
  ...notes.flatMap((n) => [n, '']),
].join('\n');
fs.mkdirSync(path.dirname(reportFile), { recursive: true });
fs.writeFileSync(reportFile, md);
console.log(`report written to ${reportFile}`);
