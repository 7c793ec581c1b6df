complete -c mcp-discover -l profile -d 'Name of the identity to use, so one machine can hold several per server' -r
complete -c mcp-discover -l credential-helper -d 'Credential helper to store with: NAME runs docker-credential-NAME; "file" uses the plain file store [default: chosen like the Docker CLI does]' -r
complete -c mcp-discover -l timeout -d 'Timeout for each HTTP request, in seconds' -r
complete -c mcp-discover -s v -l trace -d 'Print every HTTP request and response to stderr, secrets redacted'
complete -c mcp-discover -l compact -d 'Write compact one-line JSON instead of pretty-printed JSON'
complete -c mcp-discover -l reveal-secrets -d 'Include tokens and client secrets in the output and the trace (they are left out otherwise)'
complete -c mcp-discover -s h -l help -d 'Print help'
complete -c mcp-discover -s V -l version -d 'Print version'
