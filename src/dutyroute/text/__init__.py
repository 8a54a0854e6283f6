"""Chinese text handling shared by every stage: normalisation, n-grams, phrase finding, homophone
repair, guessing a file's encoding."""
