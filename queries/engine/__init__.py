"""The query engine: a checked query evaluated in a walled worker that is killed at its time limit.

    execute.py    run_query / run_update: the one entry point (checks, binding, reasoning, limits)
    evaluate.py   evaluation on a local store inside a worker, and the answer sent back
    worker.py     a forked worker process with a time limit and a memory limit
    pool.py       warm workers for the endpoint
    sandbox.py    the seccomp network wall every evaluating process installs
    reasoning.py  RDFS and OWL 2 RL entailments (owlrl) in graph:inferred
    snapshot.py   a read-only snapshot of an on-disk store for the workers
    limits.py     memory ceilings and the endpoint's HTTP bounds, in one place
"""
