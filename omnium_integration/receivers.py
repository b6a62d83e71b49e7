"""Signal receivers on Flow's models: each writes an outbound job in the saving transaction."""
