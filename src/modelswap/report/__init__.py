"""Reports of a comparison: the report value and its renderings (JSON, Markdown, HTML, terminal)."""
