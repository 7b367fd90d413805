"""Invoice files: the file a new bill is created from, and the files on a bill's card (View,
Attach, Retry upload)."""
