"""Agreement packets, signing, verification: the agreement and its attachments assembled into one
PDF, signed by both parties with PAdES signatures, and checked for intact, valid, trusted
signatures that cover the whole file."""
