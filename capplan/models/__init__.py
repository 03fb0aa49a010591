"""Pure analytical models: numbers (or numpy arrays) in, numbers out. Imports numpy and math only."""
