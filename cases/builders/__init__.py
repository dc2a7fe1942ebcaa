"""The catalogue's family builders, grouped by what they vary; cases.catalog assembles them."""
