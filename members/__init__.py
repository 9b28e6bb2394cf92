"""Member dossiers: the agents and households the store serves, read from the embedded
tables or the remote dossier service, imported in bulk, and the pure rules on them (rights,
quotient familial, regions, the N° C.G.O.S)."""
