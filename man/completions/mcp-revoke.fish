complete -c mcp-revoke -l profile -d 'Name of the identity to use, so one machine can hold several per server' -r
complete -c mcp-revoke -l credential-helper -d 'Credential helper to store with: NAME runs docker-credential-NAME; "file" uses the plain file store [default: chosen like the Docker CLI does]' -r
complete -c mcp-revoke -l timeout -d 'Timeout for each HTTP request, in seconds' -r
complete -c mcp-revoke -l client -d 'Also remove the stored client; deletes the registration at the server too when it was dynamically registered with a management URI (RFC 7592)'
complete -c mcp-revoke -s v -l trace -d 'Print every HTTP request and response to stderr, secrets redacted'
complete -c mcp-revoke -l compact -d 'Write compact one-line JSON instead of pretty-printed JSON'
complete -c mcp-revoke -l reveal-secrets -d 'Include tokens and client secrets in the output and the trace (they are left out otherwise)'
complete -c mcp-revoke -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcp-revoke -s V -l version -d 'Print version'
