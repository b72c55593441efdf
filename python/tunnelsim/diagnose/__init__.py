"""`tunnelsim diagnose CAPTURE`: per-flow ordering metrics from a packet capture (issue #18)."""
