"""Data generator, page benchmarks and load test. Never run by the test suite at full scale."""
