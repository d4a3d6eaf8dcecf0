"""aftersales: the documents of a residential developer's after-sales service centre."""

__version__ = "0.1.0"
