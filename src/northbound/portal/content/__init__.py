"""Information pages: Markdown content rendered once and served from memory."""
