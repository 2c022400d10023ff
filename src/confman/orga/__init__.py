"""The organisers' web pages under ``/orga/``: a web layer of its own beside the public site
(``site/``), over the same domain services the JSON API uses."""
