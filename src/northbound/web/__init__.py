"""Templates, static assets and translations."""
