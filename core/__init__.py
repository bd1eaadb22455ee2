"""What every layer shares (features/, models/, reports/, pipeline/): no imports from them."""
