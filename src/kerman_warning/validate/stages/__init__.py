"""The checks the engine itself runs, one module per stage of the report: the descriptor and
its Table Schemas, integrity (sizes, hashes, Parquet), the Table Schema column-wise, and rows
against their JSON Schema."""
