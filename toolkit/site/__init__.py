"""The campaign site: static pages where each supporter finds their representatives and writes to them."""
