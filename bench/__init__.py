"""Data generator, page benchmarks and load test (issue 7). Never run by the test suite at full scale."""
