"""Lambda's event source mappings on the table's stream: a poller per mapping, its filters, its batches."""
