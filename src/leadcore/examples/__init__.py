"""Sample workflow definitions shipped with leadcore (``sales.toml``, ``qualification.he.toml``)."""
