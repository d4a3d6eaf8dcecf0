"""Agreement packets: assembly, signing, verification."""
