"""The named queries: the *.rq files in this folder, their comment headers and typed parameters (library.py)."""
