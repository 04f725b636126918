"""The page's files (template, scripts, styles), shipped inside the package as hamming_site.web.

A regular package rather than a namespace one, so importlib.resources finds the files from a wheel, an
editable checkout or a zip alike. Python code does not belong here.
"""
