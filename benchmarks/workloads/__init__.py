"""The benchmark workloads; importing a module registers its workloads.

To add one, write a module here with a function decorated by
`benchmarks._harness.workload` and import it below, in the order the
table should show it.
"""

from benchmarks.workloads import eager_small, import_time, mlp, transforms

# isort: split
# Issue 4's workloads, last in the table (they reuse the losses above).
from benchmarks.workloads import compiled, rnn
