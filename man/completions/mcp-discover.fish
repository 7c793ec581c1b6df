complete -c mcp-discover -l scope -d 'Scopes to request, space-separated, instead of the challenge\'s or the resource\'s' -r
complete -c mcp-discover -l format -d 'How --check reports: human (grouped by step on stderr, the document on stdout) or json (one report on stdout instead of the document)' -r -f -a "human\t'Grouped by step on stderr, and the pipeline document on stdout'
json\t'One JSON report on stdout instead of the document; nothing on stderr'"
complete -c mcp-discover -l authorization-server -d 'Use this authorization server, one of those the resource metadata lists [default: the first]' -r
complete -c mcp-discover -l challenge -d 'The WWW-Authenticate value of a 401 your client got on a later request: a 2026-07-28 server may answer initialize without a token and challenge only tools/list or tools/call. Its scope and resource_metadata take precedence over the probe\'s (a 403 insufficient_scope is mcp-authorize --step-up instead)' -r
complete -c mcp-discover -l as-metadata -d 'Skip discovery: read the authorization-server metadata (RFC 8414 JSON) from FILE; the endpoint flags override its members' -r -F
complete -c mcp-discover -l issuer -d 'Skip discovery: the authorization server\'s issuer identifier [default: the origin of the authorization (else token) endpoint]' -r
complete -c mcp-discover -l authorization-endpoint -d 'Skip discovery: the authorization endpoint' -r
complete -c mcp-discover -l token-endpoint -d 'Skip discovery: the token endpoint' -r
complete -c mcp-discover -l registration-endpoint -d 'Skip discovery: the RFC 7591 registration endpoint' -r
complete -c mcp-discover -l revocation-endpoint -d 'Skip discovery: the RFC 7009 revocation endpoint' -r
complete -c mcp-discover -l device-authorization-endpoint -d 'Skip discovery: the RFC 8628 device authorization endpoint' -r
complete -c mcp-discover -l scopes-supported -d 'Skip discovery: scopes the server supports (comma-separated, repeatable)' -r
complete -c mcp-discover -l code-challenge-methods-supported -d 'Skip discovery: PKCE methods the server supports [default: S256, which OAuth 2.1 requires]' -r
complete -c mcp-discover -l token-endpoint-auth-methods-supported -d 'Skip discovery: client authentication methods the token endpoint accepts [default: client_secret_basic, per RFC 8414]' -r
complete -c mcp-discover -l trace-format -d 'How --trace is written (implies --trace): text for a person, or json for a program' -r -f -a "text\t'For a person: steps, exchanges, decoded JWTs and checks; coloured on a terminal'
json\t'For a program: one JSON object per event and line'"
complete -c mcp-discover -l har -d 'Write this run\'s HTTP exchanges, grouped by step and redacted like --trace, to FILE as a HAR 1.2 archive (browsers\' developer tools open it), also when the run fails: the file to attach to a bug report. Written whole (mode 0600); a directory gets one file per run' -r -F
complete -c mcp-discover -l profile -d 'Name of the identity to use, so one machine can hold several per server' -r
complete -c mcp-discover -l credential-helper -d 'Credential helper to store with: NAME runs docker-credential-NAME; "file" uses the plain file store [default: chosen like the Docker CLI does]' -r
complete -c mcp-discover -l error-format -d 'How errors are written on stderr: one line of text, or one JSON object (exit_code, error, message, command to run) for scripts and agents' -r -f -a "text\t''
json\t''"
complete -c mcp-discover -l timeout -d 'Timeout for each HTTP request, in seconds' -r
complete -c mcp-discover -l check -d 'For server authors: list every deviation from the specs on stderr (and in the document\'s findings); exit 10 when any is an error'
complete -c mcp-discover -s v -l trace -d 'Print every HTTP request and response to stderr, grouped by the step of the flow it belongs to (with its outcome and time), JWTs decoded, secrets redacted'
complete -c mcp-discover -l compact -d 'Write compact one-line JSON instead of pretty-printed JSON'
complete -c mcp-discover -l reveal-secrets -d 'Include tokens and client secrets in the output and the trace (they are left out otherwise)'
complete -c mcp-discover -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-discover -s V -l version -d 'Print version'
