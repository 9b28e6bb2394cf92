"""Partner fulfilment: shipment queue, packing slips, tracking, entry control (§10)."""
