"""The named queries: the *.rq files in this folder, their comment headers and typed parameters
(library.py), and the lists their GROUP_CONCATs build, sorted after the query so every server
gives the same order (lists.py)."""
