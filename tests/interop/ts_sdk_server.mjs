// Runs the official TypeScript MCP SDK's example server (`simpleStreamableHttp.js --oauth`: an
// MCP server plus a separate authorization server with the SDK's demo in-memory OAuth provider)
// unchanged, for the mcp-oauth interoperability tests. Only the surroundings are ours:
//   - it takes its ports from MCP_PORT / MCP_AUTH_PORT, so two free ones are picked here;
//   - it calls listen(port) without a host, so listen is made to bind 127.0.0.1 only;
//   - it logs to stdout, so console.log goes to stderr and stdout carries one JSON ready line
//     ({"mcp_url", "issuer"}) once both servers listen;
//   - it never exits by itself, so it does when stdin closes or after --max-lifetime seconds.
//
// Usage: node ts_sdk_server.mjs [--max-lifetime SECONDS]

import * as net from 'node:net';

const lifetimeFlag = process.argv.indexOf('--max-lifetime');
const maxLifetime = lifetimeFlag > 0 ? Number(process.argv[lifetimeFlag + 1]) : 600;
setTimeout(() => process.exit(0), maxLifetime * 1000).unref();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

const log = console.log;
console.log = console.error;

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const [mcpPort, authPort] = [await freePort(), await freePort()];
process.env.MCP_PORT = String(mcpPort);
process.env.MCP_AUTH_PORT = String(authPort);
process.argv.splice(2, process.argv.length, '--oauth');

const listening = new Set();
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function loopbackOnly(...args) {
  // The example passes the MCP port as a number and the authorization server's as a string.
  const port = Number(args[0]);
  if (!Number.isInteger(port) || port <= 0) return listen.apply(this, args);
  const callback = args.find((a) => typeof a === 'function');
  this.once('listening', () => {
    listening.add(port);
    if (listening.has(mcpPort) && listening.has(authPort)) {
      log(JSON.stringify({ mcp_url: `http://localhost:${mcpPort}/mcp`, issuer: `http://localhost:${authPort}/` }));
    }
  });
  return callback ? listen.call(this, port, '127.0.0.1', callback) : listen.call(this, port, '127.0.0.1');
};

await import('@modelcontextprotocol/sdk/examples/server/simpleStreamableHttp.js');
