"""UI: collection windows and collection krates."""
