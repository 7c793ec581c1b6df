"""Third-party MCP servers built on the Python SDKs, for the mcp-oauth interoperability tests.

    python_servers.py sdk         the official SDK (PyPI `mcp`): an authorization server made of
                                  mcp.server.auth's routes with a login form (as the SDK's
                                  simple-auth example does), and a separate MCPServer resource
                                  server on its own port that accepts that AS's tokens
    python_servers.py sdk-legacy  the same SDK's older shape: the MCP server is its own
                                  authorization server (MCPServer with auth_server_provider), with
                                  the same login form, and publishes no protected-resource
                                  metadata (an MCP 2025-03-26 server)
    python_servers.py fastmcp     FastMCP with its InMemoryOAuthProvider: the MCP server is its
                                  own authorization server (auto-approving, no login page)

Each listens on 127.0.0.1 on ports the kernel picks, prints one JSON line with its URLs on
stdout (nothing else goes to stdout), and exits when stdin closes or after --max-lifetime
seconds. The provider code is ours and deliberately plain: what is under test is how the
SDKs' own HTTP layers (metadata, registration, client authentication, token and revocation
handlers, bearer middleware) treat our client.
"""

import argparse
import asyncio
import html
import json
import os
import secrets
import socket
import sys
import threading
import time
import warnings

from pydantic import AnyHttpUrl

LOGIN_USER = "demo_user"
LOGIN_PASSWORD = "demo_password"
SCOPE = "user"
BROWSER_FILL = f"username={LOGIN_USER}&password={LOGIN_PASSWORD}"


def listening_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def tool_server(server):
    @server.tool()
    def echo(text: str) -> str:
        """Returns its input."""
        return text

    return server


# --------------------------------------------------------------------------------------------
# The official SDK: authorization server with a login page, separate resource server.


def sdk_login(as_url):
    """Our provider for the SDK's authorization-server routes (in-memory clients, codes and
    tokens, refresh tokens rotated), and the login page its authorize() sends the user to."""
    from mcp.server.auth.provider import (
        AccessToken,
        AuthorizationCode,
        AuthorizeError,
        RefreshToken,
        TokenError,
        construct_redirect_uri,
    )
    from mcp.shared.auth import OAuthToken
    from starlette.responses import HTMLResponse, RedirectResponse
    from starlette.routing import Route

    class Provider:
        def __init__(self):
            self.clients, self.pending, self.codes, self.access, self.refresh = {}, {}, {}, {}, {}

        async def get_client(self, client_id):
            return self.clients.get(client_id)

        async def register_client(self, client_info):
            self.clients[client_info.client_id] = client_info

        async def authorize(self, client, params):
            state = secrets.token_urlsafe(16)
            self.pending[state] = (client.client_id, params)
            return f"{as_url}/login?state={state}"

        def login(self, state, username, password):
            if username != LOGIN_USER or password != LOGIN_PASSWORD:
                raise AuthorizeError(error="access_denied", error_description="wrong user name or password")
            client_id, params = self.pending.pop(state)
            code = secrets.token_urlsafe(24)
            self.codes[code] = AuthorizationCode(
                code=code,
                client_id=client_id,
                scopes=params.scopes or [SCOPE],
                expires_at=time.time() + 300,
                code_challenge=params.code_challenge,
                redirect_uri=params.redirect_uri,
                redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
                resource=params.resource,
                subject=username,
            )
            return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

        async def load_authorization_code(self, client, code):
            found = self.codes.get(code)
            return found if found and found.client_id == client.client_id else None

        def issue(self, client_id, scopes, resource, subject):
            access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            common = dict(client_id=client_id, scopes=scopes, resource=resource, subject=subject)
            self.access[access] = AccessToken(token=access, expires_at=int(time.time()) + 3600, **common)
            self.refresh[refresh] = RefreshToken(token=refresh, **common)
            return OAuthToken(access_token=access, expires_in=3600, scope=" ".join(scopes), refresh_token=refresh)

        async def exchange_authorization_code(self, client, code):
            del self.codes[code.code]
            return self.issue(client.client_id, code.scopes, code.resource, code.subject)

        async def load_refresh_token(self, client, token):
            found = self.refresh.get(token)
            return found if found and found.client_id == client.client_id else None

        async def exchange_refresh_token(self, client, token, scopes):
            if not set(scopes) <= set(token.scopes):
                raise TokenError(error="invalid_scope", error_description="more than was granted")
            del self.refresh[token.token]
            return self.issue(client.client_id, scopes or token.scopes, token.resource, token.subject)

        async def load_access_token(self, token):
            found = self.access.get(token)
            return found if found and (found.expires_at or 0) > time.time() else None

        async def revoke_token(self, token):
            self.access.pop(token.token, None)
            self.refresh.pop(token.token, None)

    provider = Provider()

    async def login_page(request):
        state = html.escape(request.query_params.get("state", ""))
        return HTMLResponse(
            '<!doctype html><html><body><h1>Sign in</h1>'
            '<form method="post" action="/login/callback">'
            f'<input type="hidden" name="state" value="{state}">'
            '<label>User <input type="text" name="username"></label>'
            '<label>Password <input type="password" name="password"></label>'
            '<button type="submit">Sign in</button></form></body></html>'
        )

    async def login_callback(request):
        form = await request.form()
        try:
            target = provider.login(str(form.get("state")), form.get("username"), form.get("password"))
        except (KeyError, AuthorizeError) as e:
            return HTMLResponse(f"<p>login failed: {html.escape(str(e))}</p>", status_code=400)
        return RedirectResponse(target, status_code=302)

    routes = [Route("/login", login_page, methods=["GET"]), Route("/login/callback", login_callback, methods=["POST"])]
    return provider, routes


def sdk_options():
    from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions

    registration = ClientRegistrationOptions(enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE])
    return registration, RevocationOptions(enabled=True)


def sdk_apps():
    from mcp.server.auth.routes import create_auth_routes
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer
    from starlette.applications import Starlette

    as_sock, as_url = listening_socket()
    rs_sock, rs_url = listening_socket()
    mcp_url = f"{rs_url}/mcp"
    provider, login_routes = sdk_login(as_url)
    registration, revocation = sdk_options()
    auth_routes = create_auth_routes(
        provider=provider,
        issuer_url=AnyHttpUrl(as_url),
        client_registration_options=registration,
        revocation_options=revocation,
    )
    as_app = Starlette(routes=[*auth_routes, *login_routes])

    class Verifier:
        # The resource server asks the authorization server's token table directly: both run
        # in this process, and the SDK's RS side only needs a TokenVerifier.
        async def verify_token(self, token):
            return await provider.load_access_token(token)

    resource_server = tool_server(
        MCPServer(
            "mcp-oauth interop (python sdk)",
            token_verifier=Verifier(),
            auth=AuthSettings(
                issuer_url=AnyHttpUrl(as_url),
                resource_server_url=AnyHttpUrl(mcp_url),
                required_scopes=[SCOPE],
                validate_token_resource=True,
            ),
        )
    )
    rs_app = resource_server.streamable_http_app()
    ready = {"mcp_url": mcp_url, "issuer": as_url, "browser_fill": BROWSER_FILL}
    return [(as_app, as_sock), (rs_app, rs_sock)], ready


def sdk_legacy_apps():
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.mcpserver import MCPServer

    sock, base = listening_socket()
    provider, login_routes = sdk_login(base)
    registration, revocation = sdk_options()
    server = tool_server(
        MCPServer(
            "mcp-oauth interop (python sdk, legacy)",
            auth_server_provider=provider,
            auth=AuthSettings(
                issuer_url=AnyHttpUrl(base),
                resource_server_url=None,
                required_scopes=[SCOPE],
                client_registration_options=registration,
                revocation_options=revocation,
            ),
        )
    )
    app = server.streamable_http_app()
    app.router.routes.extend(login_routes)
    return [(app, sock)], {"mcp_url": f"{base}/mcp", "issuer": base, "browser_fill": BROWSER_FILL}


# --------------------------------------------------------------------------------------------
# FastMCP with its in-memory OAuth provider: one origin is both AS and MCP server.


def fastmcp_apps():
    from fastmcp import FastMCP
    from fastmcp.server.auth.auth import ClientRegistrationOptions, RevocationOptions
    from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider

    sock, base = listening_socket()
    provider = InMemoryOAuthProvider(
        base_url=base,
        client_registration_options=ClientRegistrationOptions(enabled=True),
        revocation_options=RevocationOptions(enabled=True),
    )
    server = tool_server(FastMCP("mcp-oauth interop (fastmcp)", auth=provider))
    app = server.http_app(path="/mcp")
    return [(app, sock)], {"mcp_url": f"{base}/mcp", "issuer": base}


# --------------------------------------------------------------------------------------------


def stop_when_stdin_closes():
    def watch():
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


async def serve(apps, ready, max_lifetime):
    import uvicorn

    servers = [
        uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
        for app, _ in apps
    ]
    tasks = [asyncio.create_task(s.serve(sockets=[sock])) for s, (_, sock) in zip(servers, apps)]
    deadline = time.monotonic() + 30
    while not all(s.started for s in servers):
        if time.monotonic() > deadline or any(t.done() for t in tasks):
            sys.exit("a server did not start")
        await asyncio.sleep(0.02)
    print(json.dumps(ready), flush=True)
    await asyncio.wait(tasks, timeout=max_lifetime)
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = {"sdk": sdk_apps, "sdk-legacy": sdk_legacy_apps, "fastmcp": fastmcp_apps}
    parser.add_argument("kind", choices=kinds)
    parser.add_argument("--max-lifetime", type=float, default=600, help="seconds before exiting by itself")
    args = parser.parse_args()
    # The SDKs' deprecation notices go to stderr, never into the ready line.
    warnings.simplefilter("ignore")
    stop_when_stdin_closes()
    apps, ready = kinds[args.kind]()
    asyncio.run(serve(apps, ready, args.max_lifetime))


if __name__ == "__main__":
    main()
