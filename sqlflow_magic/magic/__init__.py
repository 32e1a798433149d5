"""The IPython layer: the magics, their options and settings, and the connections they hold.

A thin layer over :mod:`sqlflow_magic.client` and :mod:`sqlflow_magic.display`: parse the line
(:mod:`.line_options`), build the request (:mod:`.submit_request`), find the settings
(:mod:`.effective_settings`) and the client (:mod:`.connections`), send, then show and follow the
job (:mod:`.following`).
"""
