"""The input stage: bytes decoded to text, uploaded zips expanded, a ``dbvendor`` turned into a dialect, and
scripts split into statements (batches, blocks, procedure bodies) with their positions."""
