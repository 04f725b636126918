"""What a build writes: the codes (codes), the page and its files placed atomically (site), the vendored browser
runtime (vendor), and manifest.json and report.json (manifest)."""
