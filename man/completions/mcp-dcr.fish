complete -c mcp-dcr -l profile -d 'Name of the identity to use, so one machine can hold several per server' -r
complete -c mcp-dcr -l credential-helper -d 'Credential helper to store with: NAME runs docker-credential-NAME; "file" uses the plain file store [default: chosen like the Docker CLI does]' -r
complete -c mcp-dcr -l timeout -d 'Timeout for each HTTP request, in seconds' -r
complete -c mcp-dcr -s v -l trace -d 'Print every HTTP request and response to stderr, secrets redacted'
complete -c mcp-dcr -l compact -d 'Write compact one-line JSON instead of pretty-printed JSON'
complete -c mcp-dcr -l reveal-secrets -d 'Include tokens and client secrets in the output and the trace (they are left out otherwise)'
complete -c mcp-dcr -s h -l help -d 'Print help'
complete -c mcp-dcr -s V -l version -d 'Print version'
