"""Python's code that runs inside the sandbox, in the sample's own process (a forked runner): the
test reporting (`report`), the fast path (`fastpath`, `fastimport`, `fastreset`, `depth`), the
guard against values equal to everything (`solution_guard`), and the parked pytest session
(`session`). It is imported by fork servers, which must stay small (a runner is a fork, and a fork
costs by the page), so it imports nothing it does not need; the Docker backend sends these files
into its containers."""
