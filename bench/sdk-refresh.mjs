#!/usr/bin/env node
// The comparison for a refresh in scripts/bench: an application using the official TypeScript
// MCP SDK starts with the state a previous run kept (bench/sdk-flow.mjs --save-state) and an
// access token it must renew, and calls auth() as the SDK's transport does.
//
//   node bench/sdk-refresh.mjs STATE_FILE
//
// The SDK's best case: the provider restores the discovery state, so auth() sends only the
// refresh_token request (no metadata lookups). The rotated refresh token is written back to
// STATE_FILE, so the next run can refresh again. Prints one JSON line without secrets; exits
// non-zero with a one-line reason on any failure, or after 30 s.
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import * as fs from 'node:fs';

const started = performance.now();
const [file] = process.argv.slice(2);
if (!file || process.argv.length !== 3) {
  console.error('usage: sdk-refresh.mjs STATE_FILE');
  process.exit(2);
}
function fail(message) {
  console.error(`sdk-refresh: ${message}`);
  process.exit(1);
}
setTimeout(() => fail('no result after 30000 ms'), 30000).unref();

const state = JSON.parse(fs.readFileSync(file, 'utf8'));
if (!state.tokens?.refresh_token) fail(`${file} holds no refresh token`);
const before = state.tokens.access_token;
const provider = {
  get redirectUrl() {
    return state.client.redirect_uris?.[0];
  },
  get clientMetadata() {
    return { redirect_uris: state.client.redirect_uris ?? [] };
  },
  clientInformation: () => state.client,
  saveClientInformation: (info) => {
    state.client = info;
  },
  tokens: () => state.tokens,
  saveTokens: (tokens) => {
    state.tokens = tokens;
  },
  saveCodeVerifier: () => {},
  codeVerifier: () => fail('the SDK asked for a code verifier: the refresh was refused'),
  discoveryState: () => state.discovery,
  saveDiscoveryState: (s) => {
    state.discovery = s;
  },
  redirectToAuthorization: () => fail('the SDK wants a new authorization: the refresh was refused'),
};

try {
  const result = await auth(provider, {
    serverUrl: new URL(state.serverUrl),
    resourceMetadataUrl: state.resourceMetadataUrl ? new URL(state.resourceMetadataUrl) : undefined,
    scope: state.scope,
  });
  if (result !== 'AUTHORIZED' || !state.tokens?.access_token || state.tokens.access_token === before) {
    fail(`auth() returned ${result} without a new access token`);
  }
  fs.writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
  console.log(JSON.stringify({ refreshed: true, elapsed_ms: Math.round(performance.now() - started) }));
  process.exit(0);
} catch (e) {
  fail(e?.message ?? String(e));
}
