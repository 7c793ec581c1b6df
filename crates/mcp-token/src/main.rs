mcp_oauth_cli::tool_main!(mcp_token);
