"""Where the settings come from: the config file and the data dir (``file``), the resolved
settings with their sources (``settings``) and the OS keychain (``keychain``)."""
