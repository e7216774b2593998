"""One construct per concern; `infra.stack` composes them."""
