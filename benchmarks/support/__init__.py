"""What the benchmark scripts share: a throwaway instance, statement counting, room building, reports."""
