"""Lambda handlers: thin, they parse, call the domain and shape the reply."""
