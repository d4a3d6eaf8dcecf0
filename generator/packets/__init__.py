"""Agreement packets: the agreement and its attachments assembled into one stamped PDF with a
manifest of hashes (assemble, parts, sheets, pages, overlays), signed with PAdES signatures
(signing), filed under the ticket and checked when it comes back (packet)."""
