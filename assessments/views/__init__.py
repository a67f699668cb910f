"""Views of the assessments app, one module per area."""
