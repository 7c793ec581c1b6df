complete -c mcp-authorize -l timeout-callback -d 'How long to wait for the browser to come back to the redirect URI' -r
complete -c mcp-authorize -l scope -d 'Scope to request instead of the document\'s choice (space-separated)' -r
complete -c mcp-authorize -l auth-param -d 'Extra authorization request parameter, e.g. access_type=offline or prompt=consent (repeatable)' -r
complete -c mcp-authorize -l docker-gateway -d 'Then hand the grant to the Docker MCP gateway (CE mode) as its server NAME: its client and token entries go to the credsStore of ~/.docker/config.json, and the refresh token moves there (one holder per rotating refresh token); needs a public client' -r
complete -c mcp-authorize -l callback-url -d 'Headless, step 2: the URL the browser was sent back to ("-" reads it from stdin)' -r
complete -c mcp-authorize -l workload-token-file -d 'Workload identity (SEP-1933): present the JWT in PATH (e.g. a Kubernetes projected service-account token) as a jwt-bearer grant; read again on every renewal, no registration needed (a client of mcp-dcr --client-id is used when the document has one)' -r
complete -c mcp-authorize -l workload-token-env -d 'Workload identity: the JWT is in the environment variable VAR (read again on every renewal)' -r
complete -c mcp-authorize -l audience -d 'The audience to ask GitHub Actions for: what the authorization server expects [default: its issuer; some servers want the token endpoint URL]' -r
complete -c mcp-authorize -l import-token -d 'Store tokens another program obtained instead of running a flow: an RFC 6749 token response (JSON) from FILE, or "-" for stdin. They belong to the client the document or discovery names (mcp-dcr --client-id ID for theirs), which refreshes them' -r
complete -c mcp-authorize -l import-mcp-remote -d 'Take over mcp-remote\'s login for this server, client and tokens, so its users switch without logging in again: PATH is a <hash>_tokens.json file or a directory to search (--import-mcp-remote=PATH) [default: $MCP_REMOTE_CONFIG_DIR, else ~/.mcp-auth]' -r
complete -c mcp-authorize -l step-up -d 'Step-up: the WWW-Authenticate value of a 403 insufficient_scope answer; requests the union of the stored token\'s scopes and the challenged ones, with a new authorization' -r
complete -c mcp-authorize -l idp -d 'Enterprise-managed authorization (SEP-990): sign in once at this enterprise IdP (issuer URL, OIDC/RFC 8414 discovery) and get tokens by exchanging its ID token for an ID-JAG, never at the MCP server\'s own login [default: the IdP a stored token for this server came from]' -r
complete -c mcp-authorize -l idp-token-endpoint -d 'The IdP\'s token endpoint, instead of discovering its metadata (then only an ID token given with --id-token-file or --id-token-env can sign in)' -r
complete -c mcp-authorize -l idp-client-id -d 'The client pre-registered at the IdP (once: it is stored, like every client); its secret comes from --idp-client-secret-file or MCP_OAUTH_IDP_CLIENT_SECRET' -r
complete -c mcp-authorize -l idp-client-secret-file -d 'Read the IdP client\'s secret from this file (the first line)' -r
complete -c mcp-authorize -l idp-private-key-file -d 'PEM private key for the IdP client\'s private_key_jwt authentication' -r
complete -c mcp-authorize -l idp-redirect-uri -d 'The IdP client\'s registered loopback redirect URI [default: http://127.0.0.1:PORT/callback on a free port]' -r
complete -c mcp-authorize -l id-token-file -d 'Sign in with an ID token from this file ("-": stdin) instead of at the IdP\'s login page (no IdP refresh token then: a new one is needed when it expires)' -r
complete -c mcp-authorize -l id-token-env -d 'Sign in with the ID token in this environment variable' -r
complete -c mcp-authorize -l authorization-server -d 'Use this authorization server, one of those the resource metadata lists [default: the first]' -r
complete -c mcp-authorize -l challenge -d 'The WWW-Authenticate value of a 401 your client got on a later request: a 2026-07-28 server may answer initialize without a token and challenge only tools/list or tools/call. Its scope and resource_metadata take precedence over the probe\'s (a 403 insufficient_scope is mcp-authorize --step-up instead)' -r
complete -c mcp-authorize -l as-metadata -d 'Skip discovery: read the authorization-server metadata (RFC 8414 JSON) from FILE; the endpoint flags override its members' -r -F
complete -c mcp-authorize -l issuer -d 'Skip discovery: the authorization server\'s issuer identifier [default: the origin of the authorization (else token) endpoint]' -r
complete -c mcp-authorize -l authorization-endpoint -d 'Skip discovery: the authorization endpoint' -r
complete -c mcp-authorize -l token-endpoint -d 'Skip discovery: the token endpoint' -r
complete -c mcp-authorize -l registration-endpoint -d 'Skip discovery: the RFC 7591 registration endpoint' -r
complete -c mcp-authorize -l revocation-endpoint -d 'Skip discovery: the RFC 7009 revocation endpoint' -r
complete -c mcp-authorize -l device-authorization-endpoint -d 'Skip discovery: the RFC 8628 device authorization endpoint' -r
complete -c mcp-authorize -l scopes-supported -d 'Skip discovery: scopes the server supports (comma-separated, repeatable)' -r
complete -c mcp-authorize -l code-challenge-methods-supported -d 'Skip discovery: PKCE methods the server supports [default: S256, which OAuth 2.1 requires]' -r
complete -c mcp-authorize -l token-endpoint-auth-methods-supported -d 'Skip discovery: client authentication methods the token endpoint accepts [default: client_secret_basic, per RFC 8414]' -r
complete -c mcp-authorize -l trace-format -d 'How --trace is written (implies --trace): text for a person, or json for a program' -r -f -a "text\t'For a person: steps, exchanges, decoded JWTs and checks; coloured on a terminal'
json\t'For a program: one JSON object per event and line'"
complete -c mcp-authorize -l har -d 'Write this run\'s HTTP exchanges, grouped by step and redacted like --trace, to FILE as a HAR 1.2 archive (browsers\' developer tools open it), also when the run fails: the file to attach to a bug report. Written whole (mode 0600); a directory gets one file per run' -r -F
complete -c mcp-authorize -l profile -d 'Name of the identity to use, so one machine can hold several per server' -r
complete -c mcp-authorize -l credential-helper -d 'Credential helper to store with: NAME runs docker-credential-NAME; "file" uses the plain file store [default: chosen like the Docker CLI does]' -r
complete -c mcp-authorize -l error-format -d 'How errors are written on stderr: one line of text, or one JSON object (exit_code, error, message, command to run) for scripts and agents' -r -f -a "text\t''
json\t''"
complete -c mcp-authorize -l timeout -d 'Timeout for each HTTP request, in seconds' -r
complete -c mcp-authorize -l no-browser -d 'Do not open a browser; only print the authorization URL on stderr'
complete -c mcp-authorize -s q -l quiet -d 'No "logged in to ..." line on stderr after a login (stdout is the document either way)'
complete -c mcp-authorize -l allow-missing-pkce-metadata -d 'Proceed with a server whose metadata does not list code_challenge_methods_supported (Azure AD / Entra ID, Amazon Cognito); S256 is still sent'
complete -c mcp-authorize -l force -d 'Start a new authorization even when a stored refresh token would do'
complete -c mcp-authorize -l print-url -d 'Headless, step 1: print the authorization URL, keep the pending state in the store, and exit; finish with --callback-url'
complete -c mcp-authorize -l device -d 'Use the device authorization grant (RFC 8628): enter a code on another device'
complete -c mcp-authorize -l client-credentials -d 'Machine to machine: the client_credentials grant with the pre-registered client\'s secret or private key (MCP OAuth client-credentials extension); no user, no browser'
complete -c mcp-authorize -l github-actions -d 'Workload identity in GitHub Actions: ask the job\'s OIDC token endpoint for a new JWT every time (the job needs `permissions: id-token: write`)'
complete -c mcp-authorize -l dpop -d 'Require DPoP (RFC 9449): tokens bound to a key kept in the credential store; fail when the authorization server does not advertise ES256 DPoP or answers with a Bearer token [default: DPoP when the authorization server advertises it and the MCP server\'s resource metadata lists dpop_signing_alg_values_supported, required when it says dpop_bound_access_tokens_required, else Bearer]. Not with --idp: the enterprise grant gives Bearer tokens'
complete -c mcp-authorize -l no-dpop -d 'Never use DPoP: plain Bearer tokens even from a server that offers DPoP'
complete -c mcp-authorize -s v -l trace -d 'Print every HTTP request and response to stderr, grouped by the step of the flow it belongs to (with its outcome and time), JWTs decoded, secrets redacted'
complete -c mcp-authorize -l compact -d 'Write compact one-line JSON instead of pretty-printed JSON'
complete -c mcp-authorize -l reveal-secrets -d 'Include tokens and client secrets in the output and the trace (they are left out otherwise)'
complete -c mcp-authorize -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-authorize -s V -l version -d 'Print version'
