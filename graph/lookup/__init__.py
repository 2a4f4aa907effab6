"""Reading the store's vocabulary: names to entities, qualifiers of facts, sources of graphs.

    names.py       a name, alias or id to the entity it names (with suggestions when none matches)
    qualifiers.py  the conditions and stances a source attaches to a fact
    sources.py     which named graph holds which source document
"""
