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
// not count, and the totals for mcp-discover alone and for the whole pipeline.
//
// A request counts unless one of these holds:
// - it does not go to a delayed server (the stand-in's callback to the tool's own listener);
// - it is a well-known metadata lookup that failed with 4xx and a later candidate of the same
//   tool succeeded: the candidates could be fetched at once, so only one is on the path;
// - it repeats a GET that already succeeded earlier in the pipeline (repeated work).
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

// Pairs each "> METHOD URL" with the next "< STATUS URL" of the same tool (blocking client:
// one request in flight at a time).
function parseTrace(tool, file) {
  const requests = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    let m = /^> ([A-Z]+) (\S+)/.exec(line);
    if (m) {
      requests.push({ who: tool, method: m[1], url: bare(m[2]), status: null });
      continue;
    }
    m = /^< (\d{3}) /.exec(line);
    if (m && requests.length && requests.at(-1).status === null) requests.at(-1).status = Number(m[1]);
  }
  return requests;
}

function parseBrowser(file) {
  const requests = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    let m = /^([A-Z]+) (\S+)/.exec(line);
    if (m) {
      requests.push({ who: 'browser', method: m[1], url: bare(m[2]), status: null });
      continue;
    }
    m = /^-> (\d{3})/.exec(line);
    if (m && requests.length) requests.at(-1).status = Number(m[1]);
  }
  return requests;
}

// The stand-in runs while mcp-authorize waits for its callback, so its hops come after the
// authorization request was built and before the token request: splice them in there.
function inOrder(discover, dcr, authorize, browser) {
  const tokenAt = authorize.findIndex((r) => r.method === 'POST' && /\/token$/.test(r.url));
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

function classify(requests) {
  const succeeded = new Set();
  return requests.map((r, i) => {
    const key = `${r.method} ${r.url}`;
    let counts = true;
    let why = 'depends on the response before it';
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
    } else if (r.who === 'browser') {
      why = 'the browser follows each redirect in turn';
    }
    if (r.status !== null && r.status < 300 && r.method === 'GET') succeeded.add(key);
    return { ...r, role: role(r), counts, why };
  });
}

const discover = parseTrace('mcp-discover', discoverTrace);
const pipeline = classify(inOrder(
  discover,
  parseTrace('mcp-dcr', dcrTrace),
  parseTrace('mcp-authorize', authorizeTrace),
  parseBrowser(browserLog),
));
const discoverAlone = classify(discover);
if (!discover.length || !pipeline.some((r) => r.who === 'browser')) {
  console.error('critical-path: the traces hold no requests; was --trace honoured and MCP_TEST_BROWSER_LOG set?');
  process.exit(1);
}
const count = (rs) => rs.filter((r) => r.counts).length;
console.log(JSON.stringify({
  delay_ms: ready.delay_ms,
  discover: { requests: discoverAlone, total: discoverAlone.length, critical: count(discoverAlone) },
  pipeline: { requests: pipeline, total: pipeline.length, critical: count(pipeline) },
}, null, 2));
