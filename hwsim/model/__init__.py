"""The analytical model: loop nests, mapper, DRAM and interconnect, one module per target."""
