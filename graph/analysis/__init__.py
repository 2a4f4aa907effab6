"""The analyses: plain data out (dicts and lists), formatted by their `format_*` functions.

    describe.py    `show` and `roles`: everything known about one entity, the role list
    statements.py  the sources' own comparisons and their answers to disputed questions
    items.py       what the scores count: each role's items and their weights
    overlap.py     overlap of two roles, the all-pairs matrix, clusters
    similar.py     the similarity score (docs/analysis.md), `similar`, its saved index
    requirements.py every role's skills and tools with weights, saved beside a persistent store
    saved_files.py  the files those two and coverage save in <store>/cache/
    transition.py  from one role to another: what carries over, what to learn
    coverage.py    which hats a team covers, which it lacks, whom to hire next
    coverage_table.py the part of the projection coverage reads, saved beside a store
    route.py       the shortest learning route between two roles (transition's)
    handoffs.py    who hands what to whom: workflows and routes between roles
    bridges.py     the skills and tools that connect the most roles
"""
