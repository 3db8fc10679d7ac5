"""Small shared widgets and the page template."""
