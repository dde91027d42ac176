"""The storefront review widget: the served ES module and its demo page."""
