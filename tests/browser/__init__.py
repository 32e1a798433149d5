"""Real-browser tests: the tutorials run in JupyterLab 4 and Notebook 7, and their static HTML export."""
