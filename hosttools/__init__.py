"""What drives the stack from the host: shared by the stack tests (tests/stack) and the
benchmark (bench/). Standard library only, as the benchmark needs nothing else on the host."""
