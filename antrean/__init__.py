"""antrean: passport appointment, queue and information service over WhatsApp."""
