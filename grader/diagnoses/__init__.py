"""Named diagnoses of common mistakes: a catalogue, mutants of the reference, and detectors."""
