"""The public site: serving pages and files with validators, display in the viewer's language and zone."""
