"""confman: an online-conference manager for audiences in every time zone and language."""
