"""Reference data: immigration offices, their WhatsApp numbers, closures, service types."""
