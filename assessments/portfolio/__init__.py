"""The portfolio report's pure Python parts (no Django): journey layouts, charts, comparisons."""
