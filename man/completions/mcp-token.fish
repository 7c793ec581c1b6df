complete -c mcp-token -l min-valid -d 'Refresh when the token is valid for less than this many seconds' -r
complete -c mcp-token -l format -d 'What to print' -r -f -a "token\t'The access token alone'
header\t'An `Authorization: Bearer ...` header line; for a DPoP token two lines, `Authorization: DPoP ...` and `DPoP: <proof>`'
env\t'`export VAR=...` for eval'
json\t'JSON with expiry, scopes, issuer and the decoded JWT claims; for a DPoP token also the scheme, the Authorization value and the proof'
headers\t'A JSON object of HTTP headers on one line, `{"Authorization": "Bearer ..."}`: what MCP clients\' header helpers print (Claude Code\'s `headersHelper`)'"
complete -c mcp-token -l env-var -d 'Variable name for --format env' -r
complete -c mcp-token -l dpop-method -d 'For a DPoP-bound token: the method of the request the proof is for' -r
complete -c mcp-token -l dpop-url -d 'For a DPoP-bound token: the URL of the request the proof is for (its query and fragment are left out of the proof) [default: the MCP server URL]' -r
complete -c mcp-token -l dpop-nonce -d 'For a DPoP-bound token: the DPoP-Nonce header of the server\'s 401 use_dpop_nonce answer, to put in the proof' -r
complete -c mcp-token -l trace-format -d 'How --trace is written (implies --trace): text for a person, or json for a program' -r -f -a "text\t'For a person: steps, exchanges, decoded JWTs and checks; coloured on a terminal'
json\t'For a program: one JSON object per event and line'"
complete -c mcp-token -l har -d 'Write this run\'s HTTP exchanges, grouped by step and redacted like --trace, to FILE as a HAR 1.2 archive (browsers\' developer tools open it), also when the run fails: the file to attach to a bug report. Written whole (mode 0600); a directory gets one file per run' -r -F
complete -c mcp-token -l profile -d 'Name of the identity to use, so one machine can hold several per server' -r
complete -c mcp-token -l credential-helper -d 'Credential helper to store with: NAME runs docker-credential-NAME; "file" uses the plain file store [default: chosen like the Docker CLI does]' -r
complete -c mcp-token -l error-format -d 'How errors are written on stderr: one line of text, or one JSON object (exit_code, error, message, command to run) for scripts and agents' -r -f -a "text\t''
json\t''"
complete -c mcp-token -l timeout -d 'Timeout for each HTTP request, in seconds' -r
complete -c mcp-token -l list -d 'List the stored clients and tokens (never their secrets) instead'
complete -c mcp-token -l status -d 'Say which logins are stored (all, or URL\'s): store, issuer, client, grant, scopes, expiry, refresh token, pending hand-offs, and sign-ins at enterprise IdPs (apart: they are no MCP server\'s login). Text on a terminal, JSON on a pipe or with --format json. Exit 7 when there is no login (or, with --online, the server refuses it)'
complete -c mcp-token -l online -d 'With --status: one authenticated MCP initialize per login, to tell valid, rejected (401) and insufficient scope (403) apart (never to an IdP)'
complete -c mcp-token -s v -l trace -d 'Print every HTTP request and response to stderr, grouped by the step of the flow it belongs to (with its outcome and time), JWTs decoded, secrets redacted'
complete -c mcp-token -l compact -d 'Write compact one-line JSON instead of pretty-printed JSON'
complete -c mcp-token -l reveal-secrets -d 'Include tokens and client secrets in the output and the trace (they are left out otherwise)'
complete -c mcp-token -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-token -s V -l version -d 'Print version'
