#!/usr/bin/env node
// The comparison client of scripts/bench: the same discovery + registration + authorization
// code + token flow that `mcp-discover URL | mcp-dcr | mcp-authorize` does, done the way an
// application using the official TypeScript MCP SDK does it.
//
//   node bench/sdk-flow.mjs [--timeout-ms N] [--save-state FILE] MCP_SERVER_URL
//                                                 (BROWSER = the command that opens a URL)
//
// As StreamableHTTPClientTransport does, it first sends `initialize` to the MCP server and
// takes resource_metadata and scope from the 401's WWW-Authenticate; then auth() discovers,
// registers and returns REDIRECT after handing the URL to redirectToAuthorization(); a
// loopback server receives the code; auth(..., {authorizationCode}) exchanges it.
//
// The provider is in memory and gives the SDK its best case: it implements discoveryState()
// so the second auth() call does not discover again. Prints one JSON line without secrets;
// exits non-zero (with a one-line reason on stderr) on any failure or after --timeout-ms.
// --save-state FILE keeps what the provider holds at the end (client, tokens, discovery
// state), as an application would between runs, for bench/sdk-refresh.mjs.
import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import http from 'node:http';

const started = performance.now();
const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args.splice(at, 2)[1];
};
const timeoutMs = Number(option('--timeout-ms') ?? 30000);
const saveState = option('--save-state');
if (args.length !== 1 || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
  console.error('usage: sdk-flow.mjs [--timeout-ms N] [--save-state FILE] MCP_SERVER_URL   (env BROWSER: command that opens a URL)');
  process.exit(2);
}
const serverUrl = new URL(args[0]);
const browser = process.env.BROWSER;
if (!browser) {
  console.error('sdk-flow: BROWSER is not set');
  process.exit(2);
}

function fail(message) {
  console.error(`sdk-flow: ${message}`);
  process.exit(1);
}
// The whole flow is bounded, whatever hangs.
setTimeout(() => fail(`no result after ${timeoutMs} ms`), timeoutMs).unref();

// The loopback redirect target: one request with the code (or the error) is all it takes.
let onCallback;
const callbackArrived = new Promise((resolve, reject) => {
  onCallback = { resolve, reject };
});
const callbackServer = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname !== '/callback') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
  res.end('<!doctype html><title>Signed in</title><p>You can close this window.</p>');
  onCallback.resolve(url.searchParams);
});
await new Promise((resolve, reject) => {
  callbackServer.once('error', reject);
  callbackServer.listen(0, '127.0.0.1', resolve);
});
const redirectUrl = `http://127.0.0.1:${callbackServer.address().port}/callback`;

const memory = {};
const expectedState = randomBytes(16).toString('base64url');
const provider = {
  get redirectUrl() {
    return redirectUrl;
  },
  get clientMetadata() {
    return {
      client_name: 'mcp-oauth bench (TypeScript SDK)',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  },
  state: () => expectedState,
  clientInformation: () => memory.client,
  saveClientInformation: (info) => {
    memory.client = info;
  },
  tokens: () => memory.tokens,
  saveTokens: (tokens) => {
    memory.tokens = tokens;
  },
  saveCodeVerifier: (verifier) => {
    memory.verifier = verifier;
  },
  codeVerifier: () => memory.verifier,
  discoveryState: () => memory.discovery,
  saveDiscoveryState: (state) => {
    memory.discovery = state;
  },
  redirectToAuthorization: (authorizationUrl) => {
    // Same convention as the tools: BROWSER is a command, the URL its last argument.
    const child = spawn('/bin/sh', ['-c', `${browser} "$1"`, 'sh', authorizationUrl.href], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('error', (e) => onCallback.reject(e));
    child.once('exit', (code, signal) => {
      if (code !== 0) onCallback.reject(new Error(`browser exited with ${code ?? signal}`));
    });
  },
};

try {
  // What the transport does before it ever calls auth(): the unauthenticated request.
  const probe = await fetch(serverUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'mcp-oauth-bench', version: '0' },
      },
    }),
  });
  await probe.body?.cancel();
  if (probe.status !== 401) fail(`expected 401 from the MCP server, got ${probe.status}`);
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(probe);

  const first = await auth(provider, { serverUrl, resourceMetadataUrl, scope });
  if (first !== 'REDIRECT') fail(`auth() returned ${first} before any authorization`);
  // Like mcp-authorize, go on as soon as the code arrives; a failing browser rejects this too.
  const params = await callbackArrived;
  if (params.get('error')) fail(`authorization failed: ${params.get('error')}`);
  if (params.get('state') !== expectedState) fail('state mismatch in the callback');
  const code = params.get('code');
  if (!code) fail('no code in the callback');

  const second = await auth(provider, { serverUrl, resourceMetadataUrl, scope, authorizationCode: code });
  if (second !== 'AUTHORIZED' || !memory.tokens?.access_token) fail(`auth() returned ${second} after the code`);
  if (saveState) {
    const state = { serverUrl: serverUrl.href, resourceMetadataUrl: resourceMetadataUrl?.href, scope, ...memory };
    fs.writeFileSync(saveState, JSON.stringify(state), { mode: 0o600 });
  }
  console.log(
    JSON.stringify({
      authorized: true,
      client_id_issued: Boolean(memory.client?.client_id),
      token_type: memory.tokens.token_type,
      expires_in: memory.tokens.expires_in,
      refresh_token: Boolean(memory.tokens.refresh_token),
      elapsed_ms: Math.round(performance.now() - started),
    }),
  );
  process.exit(0);
} catch (e) {
  fail(e?.message ?? String(e));
}
