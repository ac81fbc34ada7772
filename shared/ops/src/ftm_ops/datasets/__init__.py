"""The data sets: `ftm data fetch` builds the normalised Parquet files from the public sources
(cloned at pinned commits), and `ftm data sample` cuts the sample committed in the repository."""
