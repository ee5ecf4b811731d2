"""Text helpers every app shares: cleaning what people type (sanitise), finding private words
(redaction) and showing what changed between two versions (diff). They import no app."""
