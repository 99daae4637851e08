"""One construct per concern; the stack in `infra.stack` wires them together."""
