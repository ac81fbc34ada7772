"""Great Expectations suites for ftm's outputs, run as one checkpoint that writes data docs.

`ftm_expectations.checklist.run_checklist` is the entry point; Great Expectations itself is
imported only when a checklist runs (it takes seconds to import).
"""
