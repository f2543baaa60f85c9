"""Each member's read marker and unread count, kept exact: by pattern E as messages land and by the read
marker as the member reads (one definition, docs/architecture.md \"Unread counts\")."""
