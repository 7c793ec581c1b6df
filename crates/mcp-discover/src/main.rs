mcp_oauth::tool_main!(mcp_discover);
