"""Operations: health and readiness checks, the database's figures for Prometheus."""
