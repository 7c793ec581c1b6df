complete -c mcp-dcr -l client-id -d 'Use this pre-registered client (for servers without dynamic registration, such as Google, Slack or Microsoft Entra); a confidential client\'s secret comes from --client-secret-file, --client-secret-stdin or MCP_OAUTH_CLIENT_SECRET, never from the command line' -r
complete -c mcp-dcr -l client-secret-file -d 'Read the pre-registered client\'s secret from this file (the first line)' -r
complete -c mcp-dcr -l auth-method -d 'Token-endpoint authentication: how the pre-registered client was registered, or what to ask for in dynamic registration; used even when the server\'s metadata does not list it (with a warning), since many lists are incomplete [default: from the credentials given and what the server lists; a public client (none) for dynamic registration]' -r
complete -c mcp-dcr -l private-key-file -d 'PEM private key for private_key_jwt, unencrypted: PKCS#8 (RSA or EC P-256), SEC1 EC PRIVATE KEY (`openssl ecparam -genkey`) or PKCS#1 RSA PRIVATE KEY; with dynamic registration its public key is registered as the client\'s jwks' -r
complete -c mcp-dcr -l key-id -d 'The key id (kid) to put in the private_key_jwt assertion header' -r
complete -c mcp-dcr -l client-metadata-url -d 'Use the Client ID Metadata Document at this https URL (with a path) as the client_id, when the server supports them; the redirect URI is the document\'s first loopback one, or --redirect-uri / --port, which the document must list if it can be read (with either given, a document that cannot be fetched is only a warning)' -r
complete -c mcp-dcr -l client-name -d 'client_name sent in dynamic registration (shown on the consent screen)' -r
complete -c mcp-dcr -l redirect-uri -d 'The redirect URI to register: http:// on a loopback address (what mcp-authorize can listen on) or https:// [default: http://127.0.0.1:PORT/callback on a free port]' -r
complete -c mcp-dcr -l port -d 'Register http://127.0.0.1:PORT/callback' -r
complete -c mcp-dcr -l authorization-server -d 'Use this authorization server, one of those the resource metadata lists [default: the first]' -r
complete -c mcp-dcr -l challenge -d 'The WWW-Authenticate value of a 401 your client got on a later request: a 2026-07-28 server may answer initialize without a token and challenge only tools/list or tools/call. Its scope and resource_metadata take precedence over the probe\'s (a 403 insufficient_scope is mcp-authorize --step-up instead)' -r
complete -c mcp-dcr -l as-metadata -d 'Skip discovery: read the authorization-server metadata (RFC 8414 JSON) from FILE; the endpoint flags override its members' -r -F
complete -c mcp-dcr -l issuer -d 'Skip discovery: the authorization server\'s issuer identifier [default: the origin of the authorization (else token) endpoint]' -r
complete -c mcp-dcr -l authorization-endpoint -d 'Skip discovery: the authorization endpoint' -r
complete -c mcp-dcr -l token-endpoint -d 'Skip discovery: the token endpoint' -r
complete -c mcp-dcr -l registration-endpoint -d 'Skip discovery: the RFC 7591 registration endpoint' -r
complete -c mcp-dcr -l revocation-endpoint -d 'Skip discovery: the RFC 7009 revocation endpoint' -r
complete -c mcp-dcr -l device-authorization-endpoint -d 'Skip discovery: the RFC 8628 device authorization endpoint' -r
complete -c mcp-dcr -l scopes-supported -d 'Skip discovery: scopes the server supports (comma-separated, repeatable)' -r
complete -c mcp-dcr -l code-challenge-methods-supported -d 'Skip discovery: PKCE methods the server supports [default: S256, which OAuth 2.1 requires]' -r
complete -c mcp-dcr -l token-endpoint-auth-methods-supported -d 'Skip discovery: client authentication methods the token endpoint accepts [default: client_secret_basic, per RFC 8414]' -r
complete -c mcp-dcr -l trace-format -d 'How --trace is written (implies --trace): text for a person, or json for a program' -r -f -a "text\t'For a person: steps, exchanges, decoded JWTs and checks; coloured on a terminal'
json\t'For a program: one JSON object per event and line'"
complete -c mcp-dcr -l har -d 'Write this run\'s HTTP exchanges, grouped by step and redacted like --trace, to FILE as a HAR 1.2 archive (browsers\' developer tools open it), also when the run fails: the file to attach to a bug report. Written whole (mode 0600); a directory gets one file per run' -r -F
complete -c mcp-dcr -l profile -d 'Name of the identity to use, so one machine can hold several per server' -r
complete -c mcp-dcr -l credential-helper -d 'Credential helper to store with: NAME runs docker-credential-NAME; "file" uses the plain file store [default: chosen like the Docker CLI does]' -r
complete -c mcp-dcr -l error-format -d 'How errors are written on stderr: one line of text, or one JSON object (exit_code, error, message, command to run) for scripts and agents' -r -f -a "text\t''
json\t''"
complete -c mcp-dcr -l timeout -d 'Timeout for each HTTP request, in seconds' -r
complete -c mcp-dcr -l client-secret-stdin -d 'Read the pre-registered client\'s secret from stdin (the first line); the server must then be given as the URL argument, since stdin cannot also carry the document'
complete -c mcp-dcr -l force -d 'Register anew even when a usable client is stored'
complete -c mcp-dcr -s v -l trace -d 'Print every HTTP request and response to stderr, grouped by the step of the flow it belongs to (with its outcome and time), JWTs decoded, secrets redacted'
complete -c mcp-dcr -l compact -d 'Write compact one-line JSON instead of pretty-printed JSON'
complete -c mcp-dcr -l reveal-secrets -d 'Include tokens and client secrets in the output and the trace (they are left out otherwise)'
complete -c mcp-dcr -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-dcr -s V -l version -d 'Print version'
