#!/usr/bin/env node
// Counts the round trips of one traced `mcp-discover | mcp-dcr | mcp-authorize` run that must
// happen one after another, for part 3 of scripts/bench.
//
//   node bench/critical-path.mjs READY_JSON DISCOVER_TRACE DCR_TRACE AUTHORIZE_TRACE BROWSER_LOG
//
// READY_JSON is the test servers' ready line (their origins are the ones that add the delay);
// the traces are the tools' --trace stderr ("> METHOD URL" / "< STATUS URL"); BROWSER_LOG is the
// stand-in's MCP_TEST_BROWSER_LOG ("METHOD URL" / "-> STATUS LOCATION"). Prints JSON: every
// request (query strings dropped: they carry codes and state) with the reason it does or does
// not count, its depth, and the totals for mcp-discover alone and for the whole pipeline.
//
// Requests in flight together (the tools overlap some) share one round trip: the critical path
// is the longest chain of counted requests each sent only after the one before was answered.
//
// A request counts unless one of these holds:
// - it does not go to a delayed server (the stand-in's callback to the tool's own listener);
// - it is a well-known metadata lookup that failed with 4xx and a later candidate of the same
//   tool succeeded: the candidates could be fetched at once, so only one is on the path;
// - it repeats a GET that already succeeded earlier in the pipeline (repeated work).
// Connection warm-ups (a HEAD sent while the user is in the browser) are left out: nothing
// waits for them.
import * as fs from 'node:fs';

const [readyFile, ...rest] = process.argv.slice(2);
if (rest.length !== 4) {
  console.error('usage: critical-path.mjs READY_JSON DISCOVER_TRACE DCR_TRACE AUTHORIZE_TRACE BROWSER_LOG');
  process.exit(2);
}
const [discoverTrace, dcrTrace, authorizeTrace, browserLog] = rest;
const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8'));
const delayed = new Set([ready.as_origin, ready.rs_origin].map((u) => new URL(u).origin));

function bare(u) {
  try {
    const url = new URL(u);
    return `${url.origin}${url.pathname}`;
  } catch {
    return u;
  }
}

// Reads a trace as events in the order they were printed: "> METHOD URL" when a request is
// sent, "< STATUS URL" when its answer arrives. The tools may have several requests in flight,
// so an answer is matched to the oldest unanswered request for the same URL.
function parseTrace(tool, file) {
  const requests = [];
  const events = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    // A warm-up only opens a connection while the user is in the browser; no answer is awaited.
    if (line.endsWith('(connection warm-up)')) continue;
    let m = /^> ([A-Z]+) (\S+)/.exec(line);
    if (m) {
      requests.push({ who: tool, method: m[1], url: bare(m[2]), status: null });
      events.push({ sent: requests.at(-1) });
      continue;
    }
    m = /^< (\d{3}) (\S+)/.exec(line);
    if (!m) continue;
    const r = requests.find((q) => q.status === null && q.url === bare(m[2]));
    if (r) {
      r.status = Number(m[1]);
      events.push({ answered: r });
    }
  }
  return events;
}

// The stand-in's log: one request at a time, "METHOD URL" then "-> STATUS LOCATION".
function parseBrowser(file) {
  const events = [];
  let last;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    let m = /^([A-Z]+) (\S+)/.exec(line);
    if (m) {
      last = { who: 'browser', method: m[1], url: bare(m[2]), status: null };
      events.push({ sent: last });
      continue;
    }
    m = /^-> (\d{3})/.exec(line);
    if (m && last) {
      last.status = Number(m[1]);
      events.push({ answered: last });
    }
  }
  return events;
}

// The stand-in runs while mcp-authorize waits for its callback, so its hops come after the
// authorization request was built and before the token request: splice them in there.
function inOrder(discover, dcr, authorize, browser) {
  const tokenAt = authorize.findIndex((e) => e.sent?.method === 'POST' && /\/token$/.test(e.sent.url));
  const cut = tokenAt < 0 ? authorize.length : tokenAt;
  return [...discover, ...dcr, ...authorize.slice(0, cut), ...browser, ...authorize.slice(cut)];
}

function role(r) {
  const path = new URL(r.url).pathname;
  if (r.who === 'browser') {
    if (!delayed.has(new URL(r.url).origin)) return 'browser delivers the callback to the tool';
    if (/\/interaction\//.test(path)) return 'browser at the login/consent interaction';
    return 'browser at the authorization endpoint';
  }
  if (path.includes('/.well-known/oauth-protected-resource')) return 'protected resource metadata (RFC 9728)';
  if (path.includes('/.well-known/oauth-authorization-server')) return 'authorization server metadata (RFC 8414)';
  if (path.includes('/.well-known/openid-configuration')) return 'authorization server metadata (OIDC)';
  if (/\/reg$|\/register$/.test(path)) return 'client registration (RFC 7591)';
  if (/\/token$/.test(path)) return 'token request';
  if (r.status === 401) return 'unauthenticated probe of the MCP server';
  return 'other';
}

// Decides which requests count, then gives each request its depth: one more than the deepest
// counted request answered before it was sent. Requests in flight together share a depth, so
// the deepest depth is the number of round trips that had to happen one after another.
function classify(events) {
  const requests = events.filter((e) => e.sent).map((e) => e.sent);
  const succeeded = new Set();
  const verdicts = new Map();
  requests.forEach((r, i) => {
    const key = `${r.method} ${r.url}`;
    let counts = true;
    let why = r.who === 'browser' ? 'the browser follows each redirect in turn' : 'needs an answer before it';
    if (!delayed.has(new URL(r.url).origin)) {
      counts = false;
      why = 'goes to the tool\'s own loopback listener, not a delayed server';
    } else if (r.method === 'GET' && succeeded.has(key)) {
      counts = false;
      why = 'repeats an earlier successful GET (repeated work)';
    } else if (
      r.url.includes('/.well-known/')
      && r.status >= 400 && r.status < 500
      && requests.slice(i + 1).some((o) => o.who === r.who && o.url.includes('/.well-known/') && o.status < 300)
    ) {
      counts = false;
      why = 'failed well-known candidate; the candidates could be fetched concurrently';
    }
    if (r.status !== null && r.status < 300 && r.method === 'GET') succeeded.add(key);
    verdicts.set(r, { counts, why });
  });
  let reached = 0;
  const depth = new Map();
  for (const e of events) {
    if (e.sent) depth.set(e.sent, reached + 1);
    else if (verdicts.get(e.answered).counts) reached = Math.max(reached, depth.get(e.answered));
  }
  return {
    requests: requests.map((r) => ({ ...r, role: role(r), ...verdicts.get(r), depth: depth.get(r) })),
    critical: reached,
  };
}

const discover = parseTrace('mcp-discover', discoverTrace);
const pipeline = classify(inOrder(
  discover,
  parseTrace('mcp-dcr', dcrTrace),
  parseTrace('mcp-authorize', authorizeTrace),
  parseBrowser(browserLog),
));
const discoverAlone = classify(discover);
if (!discoverAlone.requests.length || !pipeline.requests.some((r) => r.who === 'browser')) {
  console.error('critical-path: the traces hold no requests; was --trace honoured and MCP_TEST_BROWSER_LOG set?');
  process.exit(1);
}
const summary = (c) => ({ requests: c.requests, total: c.requests.length, critical: c.critical });
console.log(JSON.stringify({
  delay_ms: ready.delay_ms,
  rtt_ms: ready.rtt_ms ?? 0,
  discover: summary(discoverAlone),
  pipeline: summary(pipeline),
}, null, 2));
