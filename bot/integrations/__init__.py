"""Ways in from other tools: Slack (Events API and slash commands) and a signed webhook."""
