"""cbportal: support tickets and recurring billing for digital-product marketplaces."""
