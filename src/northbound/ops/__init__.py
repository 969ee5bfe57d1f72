"""Operations basics: logging, metrics, health."""
