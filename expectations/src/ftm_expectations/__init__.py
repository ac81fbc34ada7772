"""Great Expectations suites for ftm outputs."""
