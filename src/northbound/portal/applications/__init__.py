"""Applications, documents, enquiries, the status tracker, the secure inbox and staff tools."""
